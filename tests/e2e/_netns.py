"""Hosts for multi-host tests: one Linux network namespace each, joined by a bridge.

Each host is a namespace with its own loopback and one interface, ``eth0``, with an address
of a private /24 (10.231.X.0/24, X chosen so that no address of this namespace is in it). The
bridge lives in a namespace of its own, so nothing of the test's network touches the
machine's; one more veth pair gives the test process (in the namespace it runs in) an address
on the bridge, so it can reach every host. Namespaces isolate only the network: hosts share
the filesystem, users and processes are still visible with ``ps``.

``Host.cut()`` takes the bridge's side of a host's link down, as pulling its cable would: the
processes on it keep running, with their addresses, and packets to and from it are dropped
(a peer's connection attempt hangs until its own timeout). ``Host.restore()`` plugs it back.

Names carry the creating process's id (``cnt<pid>-<host>``), so a run can recognise and
remove what a crashed earlier run left behind, and never touches a run still alive.
Needs root and iproute2's ``ip netns``; ``skip_unless_available()`` says why not otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from types import TracebackType
from typing import Any

PREFIX = "cnt"
"""Every namespace and root-side link these tests make starts with it, then the owner's pid."""

_OWNED = re.compile(rf"^{PREFIX}(\d+)(?:-|$)")
SUBNET_BASE = "10.231"
IP_TIMEOUT = 30.0


def _ip(*args: str) -> str:
    """Run ``ip ARGS``; its output, or RuntimeError naming the command and its complaint."""
    result = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def unavailable_reason() -> str | None:
    """Why these tests cannot make namespaces here, or None if they can."""
    if os.geteuid() != 0:
        return "multi-host tests need root to create network namespaces (ip netns)"
    if shutil.which("ip") is None:
        return "multi-host tests need iproute2's `ip` (apt-get install iproute2)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        _ip("netns", "add", probe)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return f"`ip netns add` does not work here: {exc}"
    with suppress(RuntimeError):
        _ip("netns", "del", probe)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_processes_in(netns: str) -> None:
    """SIGKILL whatever still runs in ``netns``: a namespace with processes outlives its name."""
    with suppress(RuntimeError):
        for pid in _ip("netns", "pids", netns).split():
            with suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def _delete_netns(netns: str) -> None:
    _kill_processes_in(netns)
    with suppress(RuntimeError):
        _ip("netns", "del", netns)


def remove_stale() -> list[str]:
    """Remove the namespaces and links of earlier runs whose process is gone; their names."""
    removed = []
    for line in _ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        owner = _OWNED.match(name)
        if owner and not _alive(int(owner.group(1))):
            _delete_netns(name)
            removed.append(name)
    for line in _ip("-o", "link", "show").splitlines():
        # "7: cnt123@if6: <...>": the root-side end of a bridge's veth pair.
        name = line.split(":")[1].strip().split("@")[0]
        owner = _OWNED.match(name)
        if owner and not _alive(int(owner.group(1))):
            with suppress(RuntimeError):
                _ip("link", "del", name)
            removed.append(name)
    return removed


def _free_subnet() -> str:
    """A 10.231.X prefix no address of this namespace is in (another run's included)."""
    used = _ip("-o", "-4", "addr", "show")
    start = 20 + os.getpid() % 200
    for offset in range(230):
        third = 20 + (start - 20 + offset) % 230
        prefix = f"{SUBNET_BASE}.{third}"
        if f" {prefix}." not in used:
            return prefix
    raise RuntimeError(f"every {SUBNET_BASE}.X.0/24 from .20 to .249 is in use here")


class Host:
    """One host: a namespace with ``eth0`` at ``address``. Made by `Network`."""

    def __init__(self, network: Network, name: str, netns: str, address: str, port: str):
        self.network = network
        self.name = name
        self.netns = netns
        self.address = address
        self._port = port  # the bridge-side end of this host's veth pair

    @property
    def prefix(self) -> list[str]:
        """What to put before a command to run it on this host."""
        return ["ip", "netns", "exec", self.netns]

    def popen(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start ``args`` on this host. ``ip netns exec`` execs the command itself, so the
        process's pid is the command's: signals sent to it reach the command."""
        return subprocess.Popen([*self.prefix, *args], **kwargs)

    def run(self, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run ``args`` on this host to completion, output captured as text."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 120)
        return subprocess.run([*self.prefix, *args], check=False, **kwargs)

    def url(self, port: int) -> str:
        return f"http://{self.address}:{port}"

    def cut(self) -> None:
        """Unplug this host from the bridge; its processes keep running."""
        _ip("-n", self.network.bridge_netns, "link", "set", self._port, "down")

    def restore(self) -> None:
        """Plug this host back into the bridge."""
        _ip("-n", self.network.bridge_netns, "link", "set", self._port, "up")

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.address})"


class Network:
    """Hosts named ``names`` on one bridge, and the test process on it too.

    Use it as a context manager: leaving it (an exception included) kills whatever still
    runs on its hosts and removes every namespace and link it made.
    """

    def __init__(self, names: Sequence[str]) -> None:
        if len(set(names)) != len(names):
            raise ValueError(f"host names repeat: {names}")
        self.names = list(names)
        self.tag = f"{PREFIX}{os.getpid()}"
        self.bridge_netns = f"{self.tag}-bridge"
        self.hosts: dict[str, Host] = {}
        self.subnet = ""
        self.address = ""  # the test process's own address on the bridge

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def __enter__(self) -> Network:
        remove_stale()
        try:
            self._create()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def _create(self) -> None:
        prefix = _free_subnet()
        self.subnet = f"{prefix}.0/24"
        br = self.bridge_netns
        _ip("netns", "add", br)
        _ip("-n", br, "link", "add", "br0", "type", "bridge")
        _ip("-n", br, "link", "set", "br0", "up")
        # The test process's own end: a link named after this run in its namespace.
        _ip("link", "add", self.tag, "type", "veth", "peer", "name", "self", "netns", br)
        self._plug("self")
        self.address = f"{prefix}.1"
        _ip("addr", "add", f"{self.address}/24", "dev", self.tag)
        _ip("link", "set", self.tag, "up")
        for n, name in enumerate(self.names):
            netns, port, address = f"{self.tag}-{name}", f"h{n}", f"{prefix}.{10 + n}"
            _ip("netns", "add", netns)
            _ip("-n", netns, "link", "set", "lo", "up")
            peer = ("peer", "name", "eth0", "netns", netns)
            _ip("-n", br, "link", "add", port, "type", "veth", *peer)
            self._plug(port)
            _ip("-n", netns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")
            self.hosts[name] = Host(self, name, netns, address, port)

    def _plug(self, port: str) -> None:
        _ip("-n", self.bridge_netns, "link", "set", port, "master", "br0")
        _ip("-n", self.bridge_netns, "link", "set", port, "up")

    def remove(self) -> None:
        """Kill what runs on the hosts, remove every namespace and link; never raises."""
        for name in self.names:
            _delete_netns(f"{self.tag}-{name}")
        _delete_netns(self.bridge_netns)  # takes the test process's veth end with it
        with suppress(RuntimeError):
            _ip("link", "del", self.tag)
        self.hosts.clear()
