#!/usr/bin/python3
"""Check an unpacked release bundle against its own manifest.json (stdlib only: runs before
the release exists). Usage: verify_bundle.py FOLDER TARGET. Exit 1 naming the file that is
wrong, as ``chrono-ota verify`` does for the .tar."""

import hashlib
import json
import sys
from pathlib import Path


def main(folder: Path, target: str) -> int:
    manifest = json.loads((folder / "manifest.json").read_bytes())
    if manifest.get("target") != target:
        print(f"manifest.json: the bundle is for {manifest.get('target')}, not for {target}")
        return 1
    for name, entry in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            print(f"{name}: listed in the manifest but missing from the bundle")
            return 1
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            print(f"{name}: sha256 {digest}, the manifest says {entry['sha256']}")
            return 1
    print(f"{manifest['version']} {manifest['target']}: {len(manifest['files'])} files verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
