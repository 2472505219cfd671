"""``python -m edge.rfid.emulator``: run an emulated LLRP reader (see ``cli.py``)."""

from __future__ import annotations

import sys

from edge.rfid.emulator.cli import main

sys.exit(main())
