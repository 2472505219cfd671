"""``python -m central``: the same as the ``chrono-central`` script."""

from central.cli import main

main()
