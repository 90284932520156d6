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
def app(port: int, host: str, scenarios_dir: Path | None, world: str | None) -> None:
    """Serve the visual model in the browser at http://HOST:PORT/ (offline; Ctrl-C stops it)."""
    from sim.viz.server import serve

    serve(host=host, port=port, scenarios=scenarios_dir, world=world)
