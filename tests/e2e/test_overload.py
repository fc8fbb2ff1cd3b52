"""A burst beyond capacity against a real `credo serve`: every request is answered, either
served or refused with 503 and Retry-After (a problem for the API, the busy page for the
portal), every sign-in either succeeds or is refused whole, and the server serves everyone
again afterwards without a restart (issue 27, item 4). No timing is asserted: the capacity
is made tiny (one request in flight) so that a burst of concurrent clients exceeds it."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.e2e._server import Server

BURST = 48


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def _sign_in(url: str, person: int) -> tuple[int, str, bool]:
    """One person's demo sign-in, retried on the form page only: (status, content type,
    whether a session cookie came back)."""
    with httpx.Client(base_url=url, timeout=60) as client:
        form = client.get("/signin")
        while form.status_code == 503:
            form = client.get("/signin")
        done = client.post("/signin/demo", data={"csrf": _csrf(form), "person": str(person)})
        kind = done.headers.get("content-type", "")
        if done.status_code == 503:
            assert done.headers["retry-after"].isdigit()
            assert "was not saved" in done.text
        return done.status_code, kind, "credo_session" in done.cookies


def _read(url: str, path: str) -> tuple[int, str, str | None]:
    r = httpx.get(f"{url}{path}", timeout=60)
    return r.status_code, r.headers.get("content-type", ""), r.headers.get("retry-after")


def test_a_burst_gets_fast_refusals_and_the_server_recovers(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    made = subprocess.run(
        ["credo", "demo", "--data", str(root), "--people", "20", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    env = {"CREDO_MAX_IN_FLIGHT": "1", "CREDO_RETRY_AFTER": "1"}
    server = Server(root, tmp_path / "serve.log", env, workers=0)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            roster = len(re.findall(r'name="person" value=', client.get("/signin").text))
        assert roster > 0
        paths = ["/consortium", "/v1/kinds", "/log/checkpoint"] * (BURST // 3)
        with ThreadPoolExecutor(BURST) as pool:
            reads = list(pool.map(lambda p: _read(server.url, p), paths))
            signins = list(pool.map(lambda n: _sign_in(server.url, n % roster), range(BURST // 2)))
        after = [_read(server.url, p) for p in ("/consortium", "/v1/kinds", "/log/checkpoint")]
        again = [_sign_in(server.url, n % roster) for n in range(3)]
    finally:
        server.stop()
    assert {status for status, _, _ in reads} <= {200, 503}
    refused = [
        (path, kind, retry)
        for path, (status, kind, retry) in zip(paths, reads, strict=True)
        if status == 503
    ]
    assert refused, "the burst never went past one request in flight"
    for path, kind, retry in refused:
        assert retry == "1"
        api = path.startswith(("/v1/", "/log/"))
        assert kind.startswith("application/problem+json" if api else "text/html")
    # A sign-in is done (a session) or refused whole (no session, a page saying so).
    assert {(status, session) for status, _, session in signins} <= {(303, True), (503, False)}
    # Recovered: everything served again, by the same process.
    assert [status for status, _, _ in after] == [200, 200, 200]
    assert [(status, session) for status, _, session in again] == [(303, True)] * 3
