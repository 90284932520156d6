"""The ``softpower scenarios`` group: ``list`` the scenario library and ``check`` scenario files.

Thin: the scenario language is `sim.scenario.scenario.load_scenario`.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.options import world_option
from sim.errors import SoftPowerError

__all__ = ["scenarios"]


@click.group()
def scenarios() -> None:
    """List and check scenario files."""


@scenarios.command("list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="Folder of scenario files.",
)
def scenarios_list(folder: Path) -> None:
    """List the scenarios: name, title, steps and number of events."""
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SoftPowerError("no scenario files", file=str(folder), expected="*.yaml files")
    world = bundled_world()
    click.echo(f"{'name':<26} {'steps':>5} {'events':>6}  title")
    for f in files:
        s = load_scenario(f, world)
        click.echo(f"{s.name:<26} {s.steps:>5} {len(s.events):>6}  {s.title}")


@scenarios.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@world_option()
def scenarios_check(files: tuple[Path, ...], world: str | None) -> None:
    """Validate scenario FILES; print one line per file, exit 2 at the first bad one."""
    from sim.scenario.scenario import load_scenario

    for f in files:
        s = load_scenario(f, world)
        click.echo(f"ok  {f}  ({s.name}: {len(s.events)} events, {s.steps} steps)")
