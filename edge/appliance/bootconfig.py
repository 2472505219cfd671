"""``chronoedge.txt``: the operator's first-boot settings, written on any laptop.

The file lives on the FAT boot partition, so it may come from Notepad (CRLF, a
UTF-8 byte-order mark, Windows-1252), TextEdit or vi. One ``key = value`` a line;
``#`` or ``;`` starts a comment line (a ``#`` inside a value is kept: passwords may
hold one); a value may be wrapped in quotes. Every problem names its line and key,
and a bad line never stops the others from being read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from edge.appliance.sshkeys import check_public_key
from edge.store.files import write_atomic

CONFIG_FILE = "chronoedge.txt"
SECRETS = ("wifi_password", "enrollment_token", "event_key")
"""Keys removed from the FAT file once first boot has used them."""
REPEATABLE = ("ssh_authorized_keys",)
KEYS = (
    "hostname",
    "timezone",
    "wifi_ssid",
    "wifi_password",
    "wifi_country",
    "ssh_authorized_keys",
    "central_url",
    "enrollment_token",
    "role",
    "event",
    "point",
    "master_url",
    "event_key",
    "reader",
)
ROLES = ("master", "slave", "unconfigured")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TIMEZONE = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_HEX_PSK = re.compile(r"^[0-9a-fA-F]{64}$")
_READER = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class BootProblem:
    """One line of chronoedge.txt that first boot did not apply, and why."""

    line: int  # 0: the file as a whole
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else CONFIG_FILE
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"


@dataclass
class BootConfig:
    """The settings read from chronoedge.txt: values by key, the line of each, problems."""

    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    ssh_keys: list[str] = field(default_factory=list)
    problems: list[BootProblem] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        """The value given for ``key``, or None."""
        return self.values.get(key)

    def problem(self, key: str, reason: str) -> BootProblem:
        """Record (and return) a problem with ``key``, at the line that set it."""
        found = BootProblem(self.lines.get(key, 0), key, reason)
        self.problems.append(found)
        return found

    def drop(self, *keys: str) -> None:
        """Forget ``keys`` (a refused value is not applied)."""
        for key in keys:
            self.values.pop(key, None)


def decode(raw: bytes) -> tuple[str, str | None]:
    """The file's text and, when it was not UTF-8, a note saying how it was read."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        # Notepad's "ANSI" on a Western Windows; every byte decodes, nothing is lost.
        return raw.decode("cp1252", errors="replace"), "not UTF-8: read as Windows-1252"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse(text: str) -> BootConfig:
    """Read every ``key = value`` line of ``text`` and check each value on its own."""
    config = BootConfig()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().lstrip("\ufeff")
        if not stripped or stripped.startswith(("#", ";")):
            continue
        key, equals, value = stripped.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not equals or not key:
            config.problems.append(
                BootProblem(number, "", f"{stripped[:40]!r} is not 'key = value'")
            )
            continue
        if key not in KEYS:
            config.problems.append(
                BootProblem(number, key, f"unknown key (known keys: {', '.join(KEYS)})")
            )
            continue
        value = _unquote(value.strip())
        if key in REPEATABLE:
            why = check_public_key(value)
            if why is None:
                config.ssh_keys.append(value)
            else:
                config.problems.append(BootProblem(number, key, why))
            continue
        if key in config.values:
            config.problems.append(
                BootProblem(
                    number, key, f"given again (line {config.lines[key]}): this one is used"
                )
            )
        why = check_value(key, value)
        if why is not None:
            config.problems.append(BootProblem(number, key, why))
            config.values.pop(key, None)
            config.lines.pop(key, None)
            continue
        config.values[key] = value
        config.lines[key] = number
    _check_together(config)
    return config


def check_value(key: str, value: str) -> str | None:
    """Why ``value`` is not acceptable for ``key`` on its own, or None."""
    if not value and key != "wifi_password":
        return "empty value (delete the line, or give a value)"
    if key == "hostname" and not _HOSTNAME.match(value.lower()):
        return (
            f"{value[:70]!r} is not a host name: 1-63 letters, digits or '-',"
            " not starting or ending with '-'"
        )
    if key == "timezone" and (not _TIMEZONE.match(value) or ".." in value):
        return f"{value[:40]!r} is not a time zone name like Europe/Paris"
    if key == "wifi_ssid" and len(value.encode("utf-8")) > 32:
        return "a Wi-Fi network name has at most 32 bytes"
    if key == "wifi_password" and value and not _wpa_passphrase(value):
        return "a WPA password has 8 to 63 printable ASCII characters (or 64 hex digits)"
    if key == "wifi_country" and not _COUNTRY.match(value.upper()):
        return f"{value[:20]!r} is not a two-letter country code like FR, BE or CH"
    if key in ("central_url", "master_url") and not re.match(r"^https?://[^\s/]+", value):
        return f"{value[:70]!r} must start with http:// or https://"
    if key == "role" and value.lower() not in ROLES:
        return f"{value[:20]!r} is not a role ({', '.join(ROLES)})"
    if key == "reader" and not _READER.match(value):
        return f"{value[:70]!r}: write HOST or HOST:PORT"
    return None


def _wpa_passphrase(value: str) -> bool:
    printable = all(" " <= c <= "~" for c in value)
    return (printable and 8 <= len(value) <= 63) or bool(_HEX_PSK.match(value))


def _check_together(config: BootConfig) -> None:
    if "hostname" in config.values:
        config.values["hostname"] = config.values["hostname"].lower()
    if "wifi_country" in config.values:
        config.values["wifi_country"] = config.values["wifi_country"].upper()
    if "role" in config.values:
        config.values["role"] = config.values["role"].lower()
    wifi: list[str] = [k for k in ("wifi_password", "wifi_country") if k in config.values]
    if wifi and "wifi_ssid" not in config.values:
        for key in wifi:
            config.problem(key, "needs wifi_ssid (the network's name)")
        config.drop(*wifi)
    if "enrollment_token" in config.values and "central_url" not in config.values:
        config.problem("enrollment_token", "needs central_url (where to enroll)")
        config.drop("enrollment_token")
    elif "central_url" in config.values and "enrollment_token" not in config.values:
        config.problem("central_url", "needs enrollment_token (from chrono-central enroll-token)")
        config.drop("central_url")
    preset = [
        k for k in ("event", "point", "master_url", "event_key", "reader") if k in config.values
    ]
    if preset and "role" not in config.values:
        for name in preset:
            config.problem(name, "needs role (master or slave)")
        config.drop(*preset)


def read_config(boot_dir: Path) -> BootConfig:
    """chronoedge.txt from ``boot_dir`` (an empty config when there is none)."""
    try:
        raw = (boot_dir / CONFIG_FILE).read_bytes()
    except FileNotFoundError:
        return BootConfig()
    text, note = decode(raw)
    config = parse(text)
    if note is not None:
        config.problems.insert(0, BootProblem(0, "", note))
    return config


def remove_secrets(boot_dir: Path) -> list[str]:
    """Rewrite chronoedge.txt without its secret lines (the rest kept); return their keys.

    Each removed line becomes a comment saying so, with the file's own line endings,
    so the operator who opens the card sees what happened.
    """
    path = boot_dir / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    text, _ = decode(raw)
    removed = []
    kept = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        key = body.strip().lstrip("\ufeff").partition("=")[0].strip().lower().replace("-", "_")
        if "=" in body and key in SECRETS and not body.strip().startswith(("#", ";")):
            removed.append(key)
            kept.append(f"# {key}: removed by the first boot (it is kept on the box){ending}")
        else:
            kept.append(line)
    if removed:
        bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
        write_atomic(path, bom + "".join(kept).lstrip("\ufeff").encode("utf-8"), mode=None)
    return removed
