"""The ``softpower app`` command: the Solara classroom app served in the browser.

Thin: the server is `sim.viz.server.serve` (docs/app.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.options import world_option

__all__ = ["app"]

_WORLD_HELP = (
    "Bundled world the app opens with: un193 (the default, as for every command) or core60 "
    "(the app's World input switches)."
)


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 shows the app to the whole network).",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of scenario files to offer (default: the bundled scenarios/).",
)
@world_option(_WORLD_HELP)
@click.option(
    "--servers",
    type=int,
    default=1,
    show_default=True,
    help="Server processes, for a class on one machine: about one per CPU core (at most twice "
    "the cores). Above 1 they listen on ports PORT+1 … PORT+N and PORT sends each new page to "
    "them in turn (docs/app.md, 'A class on one laptop').",
)
def app(port: int, host: str, scenarios_dir: Path | None, world: str | None, servers: int) -> None:
    """Serve the visual model in the browser at http://HOST:PORT/ (offline; Ctrl-C stops it)."""
    from sim.viz.server import serve

    serve(host=host, port=port, scenarios=scenarios_dir, world=world, servers=servers)
