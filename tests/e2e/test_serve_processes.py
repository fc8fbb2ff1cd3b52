"""`credo serve --processes 2` on one SQLite data directory: two serving processes share the
port, one sequences and the other forwards, and nothing a person or a member does depends
on which of them answers (issue 27, item 1).

Each process also listens on a private address of its own (where the other forwards, and
where its own figures are read); the test talks to each through it, so it knows which one
answered, and to both through the shared port."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from credo.api.httpsig import sign_request
from credo.services.node import DataDir, Node, admit_member
from tests.conftest import member_key
from tests.e2e._server import Server, post_entries, signed_attestations


def _demo(root: Path) -> None:
    made = subprocess.run(
        ["credo", "demo", "--data", str(root), "--people", "20", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    node = Node(DataDir(root)).start()
    try:
        admit_member(node, "uni", "Test University", "university", ["issuer"])
    finally:
        node.close()


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def _processes(url: str) -> tuple[str, str]:
    """The private URLs of (the sequencer, the other), as the shared port tells them."""
    role = httpx.get(f"{url}/v1/sequencer", timeout=10).json()
    urls = [role["process"]["url"], *(s["url"] for s in role["siblings"])]
    assert len(urls) == 2, role
    assert role["active"] in urls, role
    (standby,) = [u for u in urls if u != role["active"]]
    return role["active"], standby


def test_two_processes_serve_one_session_and_one_members_entries(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    _demo(root)
    server = Server(root, tmp_path / "serve.log", workers=0, processes=2)
    try:
        server.wait_ready()
        active, standby = _processes(server.url)
        for url in (active, standby):
            assert httpx.get(f"{url}/v1/sequencer", timeout=10).json()["role"] == (
                "active" if url == active else "standby"
            )

        # A person signs in through one process and goes on through the other: the session
        # and its CSRF token are the same wherever the next request lands.
        with httpx.Client(timeout=30) as person:
            form = person.get(f"{standby}/signin")
            signed = person.post(
                f"{standby}/signin/demo", data={"csrf": _csrf(form), "person": "0"}
            )
            assert signed.status_code == 303, signed.text[:300]
            pages = {url: person.get(f"{url}/records") for url in (active, standby)}
            for page in pages.values():
                assert page.status_code == 200, page.text[:300]
            names = {re.findall(r"<h1>(.*?)</h1>", p.text)[0] for p in pages.values()}
            assert len(names) == 1
            # A form served by one process is accepted by the other.
            out = person.post(f"{active}/signout", data={"csrf": _csrf(pages[standby])})
            assert out.status_code == 303, out.text[:300]
            after = person.get(f"{standby}/records")
            assert after.status_code == 303
            assert after.headers["location"].startswith("/signin")

        # A member's entries: through the standby (forwarded) and through the sequencer, in
        # one order, the same log read back through either, a repeat refused by either.
        key = member_key(root, "uni")
        first, second = (signed_attestations(key, "uni", t, 5) for t in ("p0", "p1"))
        with httpx.Client() as http:
            one = post_entries(http, standby, [e for e, _ in first])
            two = post_entries(http, active, [e for e, _ in second])
            assert two == list(range(one[-1] + 1, one[-1] + 6))
            notes = {http.get(f"{u}/log/checkpoint").content for u in (active, standby)}
            assert len(notes) == 1
            again = http.post(f"{active}/v1/entries", json={"entries": [first[0][0]]})
            assert again.json()["results"][0]["status"] == "rejected"
            # The shared port's /metrics holds both processes' figures.
            metrics = http.get(f"{server.url}/metrics").text
        assert 'credo_sequencer_active{process="0"}' in metrics
        assert 'credo_sequencer_active{process="1"}' in metrics
        assert "credo_entries_forwarded_total" in metrics
        # The standby vouched for the five it verified: the sequencer checked no signature
        # of theirs again (credo.services.forwarding).
        vouched = re.findall(r'^credo_entries_vouched_total\{process="\d"\} (\S+)$', metrics, re.M)
        assert sorted(float(v) for v in vouched) == [0.0, 5.0], metrics
    finally:
        server.stop()


def test_a_taken_port_is_a_startup_failure_not_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    _demo(root)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run(
            ["credo", "serve", "--data", str(root), "--port", str(port), "--processes", "2"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert ran.returncode == 3
    assert "cannot listen" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_signed_request_accepted_by_one_process_is_a_replay_at_the_other(
    tmp_path: Path,
) -> None:
    """Needs the nonce cache shared on one host (main's credo.store.nonces, DIR/nonces.db):
    skipped on a tree without it, run once the serving branch is merged with it."""
    pytest.importorskip("credo.store.nonces")
    root = tmp_path / "demo"
    _demo(root)
    server = Server(root, tmp_path / "serve.log", workers=0, processes=2)
    try:
        server.wait_ready()
        active, standby = _processes(server.url)
        body = b'{"national_id": "TH-1103700012345"}'
        signed = sign_request(member_key(root, "uni"), "POST", "/v1/records/prepare", body)
        headers = {"content-type": "application/json", **signed}
        with httpx.Client() as http:
            first = http.post(f"{active}/v1/records/prepare", content=body, headers=headers)
            replay = http.post(f"{standby}/v1/records/prepare", content=body, headers=headers)
    finally:
        server.stop()
    assert first.status_code != 401, first.text[:300]
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]
