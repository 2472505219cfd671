"""``python -m edge.cli``: the same commands as ``chrono-edge``."""

from edge.cli import main

main()
