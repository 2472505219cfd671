"""Finding the MASTER on the LAN: mDNS / DNS-SD (zeroconf) announcement and browsing.

The MASTER's ``serve`` process announces ``_chronoedge._tcp.local.`` with TXT
records naming the event it times, its device id, its software version and the
URL its SLAVEs forward to; a SLAVE whose reader.json has no ``master_url`` but
``"discovery": true`` browses for it, and ``/setup`` lists what it finds.

The calls are blocking (python-zeroconf runs its own loop thread when created
outside an event loop): from async code, run them in a thread.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from types import TracebackType

import ifaddr  # zeroconf's own dependency for listing interfaces
from zeroconf import (
    DNSQuestionType,
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)

SERVICE_TYPE = "_chronoedge._tcp.local."
"""The DNS-SD service type every MASTER announces."""
INFO_TIMEOUT_MS = 1500
"""How long to wait for one announcement's details once its name is seen."""


@dataclass(frozen=True)
class DiscoveredMaster:
    """A MASTER announcing itself on the LAN."""

    name: str  # the zeroconf instance name
    event: str | None  # slug of the event it times
    device_id: str
    version: str
    url: str  # where its SLAVEs forward to, e.g. http://192.168.1.10:8000
    addresses: tuple[str, ...]


class Announcement:
    """One MASTER's announcement; ``start``/``stop`` or use it as a context manager."""

    def __init__(
        self,
        *,
        url: str,
        device_id: str,
        event: str | None,
        version: str,
        port: int,
        addresses: list[str] | None = None,
        interfaces: list[str] | None = None,
    ) -> None:
        self.interfaces = interfaces  # IPv4 addresses to announce on; None: every interface
        listed = addresses or _addresses_of(interfaces)
        self.url = url or f"http://{listed[0]}:{port}"  # empty: the first address announced
        name = f"chronoedge-{device_id}"[:63]  # a DNS label holds 63 bytes at most
        packed = [socket.inet_aton(a) for a in listed]
        self.info = ServiceInfo(
            SERVICE_TYPE,
            f"{name}.{SERVICE_TYPE}",
            addresses=packed,
            port=port,
            properties={
                "event": event or "",
                "device": device_id,
                "version": version,
                "url": self.url,
            },
            server=f"{name}.local.",
        )
        self._zeroconf: Zeroconf | None = None

    def start(self) -> None:
        """Announce on the LAN (a name already taken by another box is renamed by zeroconf)."""
        if self._zeroconf is not None:
            return
        zeroconf = _zeroconf(self.interfaces)
        try:
            zeroconf.register_service(self.info, allow_name_change=True)
        except BaseException:
            zeroconf.close()
            raise
        self._zeroconf = zeroconf

    def stop(self) -> None:
        """Say goodbye on the LAN (SLAVEs browsing drop this MASTER) and close the sockets."""
        zeroconf, self._zeroconf = self._zeroconf, None
        if zeroconf is None:
            return
        try:
            zeroconf.unregister_service(self.info)
        finally:
            zeroconf.close()

    @property
    def running(self) -> bool:
        """Whether the announcement is on the air."""
        return self._zeroconf is not None

    def __enter__(self) -> Announcement:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def announce(
    *,
    url: str,
    device_id: str,
    event: str | None,
    version: str,
    port: int,
    addresses: list[str] | None = None,
    interfaces: list[str] | None = None,
) -> Announcement:
    """An announcement of this MASTER, not started yet (``with announce(...):`` starts it).

    ``url`` empty: ``http://<first address>:<port>``; ``interfaces`` None: every interface.
    """
    return Announcement(
        url=url,
        device_id=device_id,
        event=event,
        version=version,
        port=port,
        addresses=addresses,
        interfaces=interfaces,
    )


class _Names(ServiceListener):
    """Collects the instance names seen while browsing."""

    def __init__(self) -> None:
        self.names: dict[str, None] = {}  # ordered, unique

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names[name] = None

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names[name] = None

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names.pop(name, None)


def discover_masters(
    timeout_s: float = 2.0,
    event: str | None = None,
    *,
    interfaces: list[str] | None = None,
) -> list[DiscoveredMaster]:
    """The MASTERs heard within ``timeout_s`` (only those timing ``event`` when given)."""
    zeroconf = _zeroconf(interfaces)
    try:
        listener = _Names()
        # Multicast questions from the first one: a QU question asks for a unicast answer to
        # port 5353, which the kernel hands to one of the sockets sharing that port on the
        # box (avahi-daemon's, or another zeroconf's), so the first answer could be lost
        # and the MASTER heard only at the second query, one second later.
        browser = ServiceBrowser(zeroconf, SERVICE_TYPE, listener, question_type=DNSQuestionType.QM)
        try:
            time.sleep(timeout_s)  # gather every MASTER that answers, not just the first
        finally:
            browser.cancel()
        found: list[DiscoveredMaster] = []
        for name in list(listener.names):
            info = zeroconf.get_service_info(SERVICE_TYPE, name, timeout=INFO_TIMEOUT_MS)
            master = _master(name, info) if info is not None else None
            if master is not None and (event is None or master.event == event):
                found.append(master)
        return sorted(found, key=lambda m: (m.event or "", m.device_id))
    finally:
        zeroconf.close()


def _master(name: str, info: ServiceInfo) -> DiscoveredMaster | None:
    """A MASTER from its announcement; None when it is not a ChronoEdge one."""
    text = {
        key.decode(errors="replace"): (value or b"").decode(errors="replace")
        for key, value in info.properties.items()
    }
    addresses = tuple(info.parsed_addresses(IPVersion.V4Only))
    device = text.get("device", "")
    url = text.get("url") or (f"http://{addresses[0]}:{info.port}" if addresses else "")
    if not device or not url.startswith(("http://", "https://")):
        return None
    return DiscoveredMaster(
        name=name,
        event=text.get("event") or None,
        device_id=device,
        version=text.get("version", ""),
        url=url.rstrip("/"),
        addresses=addresses,
    )


def _zeroconf(interfaces: list[str] | None) -> Zeroconf:
    chosen: list[str | int | tuple[tuple[str, int, int], int]] | InterfaceChoice
    chosen = InterfaceChoice.All if interfaces is None else list(interfaces)
    return Zeroconf(interfaces=chosen, ip_version=IPVersion.V4Only)


def _addresses_of(interfaces: list[str] | None) -> list[str]:
    """The IPv4 addresses to announce: those given, else every non-loopback one of the host."""
    if interfaces is not None:
        return [a for a in interfaces if _is_ipv4(a)]
    found = [
        ip.ip
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ipaddress.ip_address(ip.ip).is_loopback
    ]
    return found or ["127.0.0.1"]


def _is_ipv4(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).version == 4
    except ValueError:
        return False
