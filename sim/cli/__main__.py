"""``python -m sim.cli``: the ``softpower`` command without the console script."""

from sim.cli import main

__all__: list[str] = []

main()
