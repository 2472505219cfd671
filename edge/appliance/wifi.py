"""The Wi-Fi network from chronoedge.txt, as a NetworkManager connection profile.

The image runs NetworkManager (it brings up Ethernet by DHCP with no profile at
all, and roams between Wi-Fi and Ethernet by itself); a keyfile in
``system-connections`` must be root's and 0600 or NetworkManager ignores it.
The regulatory country goes to cfg80211's module option, read when the Wi-Fi
driver loads (the next boot at the latest).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from edge.store.files import DEFAULT_MODE, PRIVATE_MODE, write_atomic

PROFILE = "etc/NetworkManager/system-connections/chronoedge-wifi.nmconnection"
COUNTRY_FILE = "etc/modprobe.d/chronoedge-wifi-country.conf"
_NAMESPACE = uuid.UUID("6f1c0d4e-3c4b-4f7e-9a59-2b6f0e1c7a11")


def profile_text(ssid: str, password: str | None) -> str:
    """The keyfile for ``ssid`` (WPA-PSK with ``password``, open without one)."""
    # The same network always gets the same id, so a second run writes the same bytes.
    connection = uuid.uuid5(_NAMESPACE, ssid)
    lines = [
        "[connection]",
        "id=chronoedge-wifi",
        f"uuid={connection}",
        "type=wifi",
        "autoconnect=true",
        "",
        "[wifi]",
        "mode=infrastructure",
        f"ssid={_escape(ssid)}",
        "",
    ]
    if password:
        lines += ["[wifi-security]", "key-mgmt=wpa-psk", f"psk={_escape(password)}", ""]
    lines += ["[ipv4]", "method=auto", "", "[ipv6]", "method=auto", ""]
    return "\n".join(lines)


def _escape(value: str) -> str:
    # GKeyFile values: a backslash escapes, a leading space would be dropped.
    escaped = value.replace("\\", "\\\\")
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped


def write_wifi(root: Path, ssid: str, password: str | None, country: str | None) -> str:
    """Write the profile (0600) and the country option; say what was written."""
    written = []
    profile = root / PROFILE
    if password is None:
        # A first boot cut after the password left the card: the profile already holds it.
        password = _kept_password(profile, ssid)
    text = profile_text(ssid, password)
    if not profile.exists() or profile.read_text(encoding="utf-8") != text:
        write_atomic(profile, text, PRIVATE_MODE)
        written.append(f"/{PROFILE}")
    if country:
        option = f"options cfg80211 ieee80211_regdom={country}\n"
        path = root / COUNTRY_FILE
        if not path.exists() or path.read_text(encoding="ascii") != option:
            write_atomic(path, option, DEFAULT_MODE)
            written.append(f"/{COUNTRY_FILE}")
    security = "WPA password" if password else "open network, no password"
    what = f"Wi-Fi network {ssid!r} ({security}" + (f", country {country})" if country else ")")
    return what + (f": {', '.join(written)} written" if written else ": kept")


def _kept_password(profile: Path, ssid: str) -> str | None:
    try:
        lines = profile.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    if f"ssid={_escape(ssid)}" not in lines:
        return None
    for line in lines:
        if line.startswith("psk="):
            return _unescape(line.removeprefix("psk="))
    return None


def _unescape(value: str) -> str:
    """The value ``_escape`` wrote (GKeyFile: backslash escapes, \\s a space)."""
    out, escaped = [], False
    for char in value:
        if escaped:
            out.append(" " if char == "s" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)
