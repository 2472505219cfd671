#!/usr/bin/python3
"""A stand-in for systemctl in a root filesystem without an init: runs units as systemd would.

Copied over /usr/bin/systemctl in a test's rootfs (the real one kept as systemctl.real, see
tests/e2e/units.py install_standin). For units in /etc/systemd/system it handles start,
stop, restart, try-restart, reload-or-restart, is-active and show: ExecStart runs detached
(its own session) as User/Group with the unit's Environment=, EnvironmentFile= and
WorkingDirectory; its pid goes to /run/standin/<unit>.pid, its output to
/run/standin/<unit>.log. Every other verb and unit goes to the real systemctl (enable,
disable, daemon-reload, is-enabled, list-unit-files work in a chroot). Stdlib only: it
runs under the rootfs's python3. Restart= and the sandboxing options are not emulated.
STANDIN_UNIT_DIR and STANDIN_STATE_DIR move its two folders (a box in a test's folder).
"""

import grp
import os
import pwd
import shlex
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

REAL = "/usr/bin/systemctl.real"
# A test box outside a rootfs (tests/otabox.py) names its own folders.
UNIT_DIR = Path(os.environ.get("STANDIN_UNIT_DIR", "/etc/systemd/system"))
STATE_DIR = Path(os.environ.get("STANDIN_STATE_DIR", "/run/standin"))
HANDLED = {"start", "stop", "restart", "try-restart", "reload-or-restart", "is-active", "show"}
STOP_TIMEOUT_S = 10.0
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unit_name(name):
    """``name`` with its .service suffix."""
    return name if "." in name else f"{name}.service"


def unit_file(name):
    """The unit file this stand-in manages for ``name``, or None."""
    path = UNIT_DIR / unit_name(name)
    return path if path.is_file() else None


def parse_unit(path):
    """The [Service] section of ``path``: key -> list of values (keys repeat)."""
    section, values, pending = None, {}, ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "Service" and "=" in line:
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def environment(service):
    """The process environment the unit declares (EnvironmentFile= then Environment=)."""
    env = {"PATH": PATH, "LANG": "C.UTF-8"}
    for entry in service.get("EnvironmentFile", []):
        optional = entry.startswith("-")
        path = Path(entry.lstrip("-"))
        if not path.is_file():
            if optional:
                continue
            raise SystemExit(f"EnvironmentFile {path} is missing")
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip().strip("\"'")
    for entry in service.get("Environment", []):
        for assignment in shlex.split(entry):
            key, _, value = assignment.partition("=")
            env[key] = value
    return env


def pid_file(name):
    return STATE_DIR / f"{unit_name(name)}.pid"


def main_pid(name):
    """The running main process of ``name``, or 0."""
    try:
        pid = int(pid_file(name).read_text())
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return 0
    state = stat.rsplit(")", 1)[1].split()[0]
    return 0 if state in ("Z", "X") else pid


def start(name):
    """Start the unit's ExecStart detached, as its User (no-op when it runs)."""
    if main_pid(name):
        return 0
    service = parse_unit(unit_file(name))
    command = shlex.split(service["ExecStart"][-1].lstrip("-@+!:"))
    user = service.get("User", ["root"])[-1]
    account = pwd.getpwnam(user)
    group = service.get("Group", [None])[-1]
    gid = grp.getgrnam(group).gr_gid if group else account.pw_gid
    env = environment(service)
    env.update({"HOME": account.pw_dir, "USER": user, "LOGNAME": user})
    workdir = service.get("WorkingDirectory", ["/"])[-1].lstrip("-")
    if workdir == "~":
        workdir = account.pw_dir

    def become_user():
        os.setgid(gid)
        os.initgroups(user, gid)
        os.setuid(account.pw_uid)

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / f"{unit_name(name)}.log", "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
            start_new_session=True,
            preexec_fn=become_user,
        )
    pid_file(name).write_text(f"{process.pid}\n")
    return 0


def stop(name):
    """SIGTERM the unit's process group, SIGKILL it after STOP_TIMEOUT_S."""
    pid = main_pid(name)
    if pid:
        with suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while main_pid(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if main_pid(name):
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    pid_file(name).unlink(missing_ok=True)
    return 0


def is_enabled(name):
    done = subprocess.run([REAL, "is-enabled", unit_name(name)], capture_output=True, text=True)
    return done.stdout.strip() or "disabled"


def show(name):
    pid = main_pid(name)
    print(f"Id={unit_name(name)}")
    print(f"Names={unit_name(name)}")
    print("LoadState=loaded")
    print(f"FragmentPath={unit_file(name)}")
    print(f"ActiveState={'active' if pid else 'inactive'}")
    print(f"SubState={'running' if pid else 'dead'}")
    print(f"UnitFileState={is_enabled(name)}")
    print(f"MainPID={pid}")
    return 0


def main(argv):
    words = [word for word in argv if not word.startswith("-")]
    verb, names = (words[0], words[1:]) if words else ("", [])
    if verb not in HANDLED or not names or not all(unit_file(n) for n in names):
        os.execv(REAL, [REAL, *argv])
    status = 0
    for name in names:
        if verb == "start":
            status |= start(name)
        elif verb == "stop":
            status |= stop(name)
        elif verb in ("restart", "reload-or-restart") or (verb == "try-restart" and main_pid(name)):
            stop(name)
            status |= start(name)
        elif verb == "is-active":
            active = bool(main_pid(name))
            if "-q" not in argv and "--quiet" not in argv:
                print("active" if active else "inactive")
            status |= 0 if active else 3
        elif verb == "show":
            status |= show(name)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
