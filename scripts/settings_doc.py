"""Write docs/settings.md from the settings models: every setting, its variable, default, meaning.

Usage: python scripts/settings_doc.py [--check]. ``--check`` exits 1 when the committed
file differs from what the models say (a test runs it, so an undocumented or renamed
setting fails the suite).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from central.settings import CentralSettings  # noqa: E402
from edge.settings import Settings  # noqa: E402
from ota.settings import OtaSettings  # noqa: E402

TARGET = ROOT / "docs" / "settings.md"
MODELS: list[tuple[str, type[BaseSettings]]] = [
    ("The box (`chrono-edge`)", Settings),
    ("Central (`chrono-central`)", CentralSettings),
    ("Over-the-air updates on a box (`chrono-ota`, the worker's `ota.*` jobs)", OtaSettings),
]
HEADER = """# Settings

Process settings of a box and of central. Each is read from the environment variable
shown, else from a `.env` file in the working directory, else its default. The box's
role at an event (MASTER or SLAVE, reader, event, point) is not a setting: it lives in
`reader.json` ([roles.md](roles.md)).

This file is written by `python scripts/settings_doc.py` from the settings models; a
test fails when it is out of date, so every setting is documented.
"""


def render() -> str:
    """The whole of docs/settings.md."""
    parts = [HEADER]
    for title, model in MODELS:
        prefix = str(model.model_config.get("env_prefix", "")).upper()
        parts.append(f"\n## {title}\n\n| Variable | Default | Meaning |\n|---|---|---|\n")
        for name, field in model.model_fields.items():
            default = "(none)" if field.default is None else f"`{field.default}`"
            description = (field.description or "").replace("|", "\\|")
            parts.append(f"| `{prefix}{name.upper()}` | {default} | {description} |\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    """Write the file, or with ``--check`` say whether it is up to date."""
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run python scripts/settings_doc.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
