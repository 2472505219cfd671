"""Product code run inside a namespace: ``ip netns exec NS python -m tests.e2e.nsctl ...``.

The WireGuard code calls ``wg``/``ip`` in whatever namespace its process lives in,
so the e2e test runs it through this small command line instead of teaching the
product about namespaces. Each command prints JSON (or nothing) and exits non-zero
with the error's message on failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from central.vpn.hub import Hub, HubPeer


def _hub(args: argparse.Namespace) -> Hub:
    from central.vpn.hub import Hub

    return Hub(args.interface, Path(args.key), args.port)


def _peer(text: str) -> HubPeer:
    from central.vpn.hub import HubPeer

    key, _, address = text.rpartition("=")
    return HubPeer(public_key=key, address=address)


def hub_up(args: argparse.Namespace) -> None:
    _hub(args).up(args.address)


def hub_down(args: argparse.Namespace) -> None:
    _hub(args).down()


def hub_add_peer(args: argparse.Namespace) -> None:
    _hub(args).add_peer(_peer(args.peer))


def hub_reconcile(args: argparse.Namespace) -> None:
    _hub(args).reconcile([_peer(text) for text in args.peers])


def hub_peers(args: argparse.Namespace) -> None:
    print(json.dumps([dataclasses.asdict(peer) for peer in _hub(args).peers()]))


def enroll(args: argparse.Namespace) -> None:
    from edge.fleet.enrollment import enroll

    link = enroll(args.url, args.token, Path(args.role_file), Path(args.key_folder))
    print(link.model_dump_json())


def enroll_connect(args: argparse.Namespace) -> None:
    from edge.fleet.enrollment import enroll_and_connect

    done = enroll_and_connect(
        args.url, args.token, role_file=Path(args.role_file), key_folder=Path(args.key_folder)
    )
    print(json.dumps(dataclasses.asdict(done)))


def setup_enroll(args: argparse.Namespace) -> None:
    """Claim the box's /setup with its PIN, then enroll it from its setup API (as the page)."""
    import httpx

    with httpx.Client(base_url=args.box, timeout=60) as client:
        claimed = client.post(
            "/api/v1/setup/claim", json={"pin": args.pin, "password": args.password}
        )
        if claimed.status_code != 200:
            sys.exit(f"claim: {claimed.status_code} {claimed.text}")
        body = {"central_url": args.central, "token": args.token}
        enrolled = client.post("/api/v1/setup/enroll", json=body)
        if enrolled.status_code != 200:
            sys.exit(f"enroll: {enrolled.status_code} {enrolled.text}")
        status = client.get("/api/v1/setup")
        print(json.dumps({"enroll": enrolled.json(), "status": status.json()}))


def tunnel_up(args: argparse.Namespace) -> None:
    from edge.vpn.tunnel import up

    up(Path(args.config))


def tunnel_down(args: argparse.Namespace) -> None:
    from edge.vpn.tunnel import down

    down(Path(args.config))


def tunnel_keep_up(args: argparse.Namespace) -> None:
    """What the worker's vpn.keep_up job does: the tunnel back from reader.json's grant."""
    from edge.roleconfig import load_role
    from edge.vpn.tunnel import keep_up

    link = load_role(Path(args.role_file)).central
    if link is None:
        sys.exit("the box is not enrolled")
    print(json.dumps({"restarted": keep_up(link, Path(args.key_folder), args.interface)}))


def tunnel_peers(args: argparse.Namespace) -> None:
    from edge.vpn.tunnel import peers

    print(json.dumps([dataclasses.asdict(peer) for peer in peers(args.interface)]))


def get(args: argparse.Namespace) -> None:
    """GET ``url`` until it answers 200 or ``attempts`` tries (each ``timeout`` s) fail."""
    import httpx

    errors: list[str] = []
    started = time.monotonic()
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    for _ in range(args.attempts):
        try:
            response = httpx.get(args.url, timeout=args.timeout, auth=auth)
        except httpx.HTTPError as error:
            errors.append(type(error).__name__)
            time.sleep(args.pause)
            continue
        if response.status_code == 200:
            if args.body:
                print(response.text)
                return
            print(json.dumps({"tries": len(errors) + 1, "s": time.monotonic() - started}))
            return
        errors.append(str(response.status_code))
    sys.exit(f"GET {args.url} failed {len(errors)} times: {', '.join(errors)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nsctl")
    commands = parser.add_subparsers(required=True)

    def command(
        name: str, run: Callable[[argparse.Namespace], None], *arguments: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name)
        for argument in arguments:
            if argument == "*peers":
                sub.add_argument("peers", nargs="*", help="KEY=ADDRESS")
            else:
                sub.add_argument(argument)
        sub.set_defaults(run=run)
        return sub

    for name, run, extra in (
        ("hub-up", hub_up, ("address",)),
        ("hub-down", hub_down, ()),
        ("hub-add-peer", hub_add_peer, ("peer",)),
        ("hub-reconcile", hub_reconcile, ("*peers",)),
        ("hub-peers", hub_peers, ()),
    ):
        sub = command(name, run, "interface", "key", *extra)
        sub.add_argument("--port", type=int, default=51820)
    command("enroll", enroll, "url", "token", "role_file", "key_folder")
    command("enroll-connect", enroll_connect, "url", "token", "role_file", "key_folder")
    command("setup-enroll", setup_enroll, "box", "pin", "password", "central", "token")
    command("tunnel-up", tunnel_up, "config")
    command("tunnel-down", tunnel_down, "config")
    command("tunnel-peers", tunnel_peers, "interface")
    command("tunnel-keep-up", tunnel_keep_up, "role_file", "key_folder", "interface")
    sub = command("get", get, "url")
    sub.add_argument("--attempts", type=int, default=1)
    sub.add_argument("--timeout", type=float, default=2.0)
    sub.add_argument("--pause", type=float, default=0.0, help="seconds between attempts")
    sub.add_argument("--auth", default="", help="USER:PASSWORD (HTTP basic)")
    sub.add_argument("--body", action="store_true", help="print the response body instead")

    args = parser.parse_args(argv)
    from edge.errors import ChronoEdgeError

    try:
        args.run(args)
    except ChronoEdgeError as error:
        sys.exit(f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
