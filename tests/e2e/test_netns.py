"""The multi-host tests' network (tests/e2e/_netns.py) does what they rely on: hosts reach
each other and the test process over their own addresses, not over each other's loopback; a
cut host's processes keep running while no packet gets through, until it is restored; and
nothing is left behind, from this run or from a crashed earlier one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e._netns import PREFIX, Network, unavailable_reason
from tests.e2e._witnesses import until

PORT = 8000
SERVE = [sys.executable, "-m", "http.server", "--bind"]


def names(*command: str) -> str:
    return subprocess.run(["ip", *command], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def network() -> Iterator[Network]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with Network(["a", "b"]) as net:
        yield net


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


FETCH = "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=2).status)"


def test_hosts_reach_each_other_until_cut_and_nothing_is_left(network: Network) -> None:
    a, b = network["a"], network["b"]
    assert a.address != b.address
    server = a.popen([*SERVE, a.address, str(PORT)], stderr=subprocess.DEVNULL)
    try:
        until(lambda: answers(a.url(PORT)), "the test process cannot reach host a")
        fetched = b.run([sys.executable, "-c", FETCH, a.url(PORT)])
        assert fetched.stdout.strip() == "200", fetched.stderr
        # b's loopback is its own: a's server is not there.
        local = b.run([sys.executable, "-c", FETCH, f"http://127.0.0.1:{PORT}"])
        assert local.returncode != 0
        assert "refused" in local.stderr

        a.cut()
        assert not answers(a.url(PORT))
        assert b.run([sys.executable, "-c", FETCH, a.url(PORT)]).returncode != 0
        assert server.poll() is None, "cutting the link must not stop the host's processes"
        a.restore()
        until(lambda: answers(a.url(PORT)), "host a is unreachable after restore")
    finally:
        server.kill()
        server.wait(timeout=30)
    tag = network.tag
    network.remove()
    assert tag not in names("netns", "list")
    assert tag not in names("link", "show")


def test_a_crashed_runs_namespaces_and_links_are_removed() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = f"{PREFIX}{gone.pid}"
    # What a crashed run leaves: a host's namespace, the test process's end of a veth pair.
    subprocess.run(["ip", "netns", "add", f"{stale}-bridge"], check=True)
    peer = ["peer", "name", "self", "netns", f"{stale}-bridge"]
    subprocess.run(["ip", "link", "add", stale, "type", "veth", *peer], check=True)
    subprocess.run(["ip", "netns", "add", f"{stale}-db"], check=True)
    try:
        with Network(["x"]):
            assert f"{stale}-" not in names("netns", "list")
            assert stale not in names("link", "show")
    finally:
        for netns in ("db", "bridge"):
            subprocess.run(["ip", "netns", "del", f"{stale}-{netns}"], capture_output=True)
        subprocess.run(["ip", "link", "del", stale], capture_output=True, check=False)
