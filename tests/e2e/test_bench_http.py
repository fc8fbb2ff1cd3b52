"""`credo bench log --url` against a real `credo serve`: the path issue 2's figures come from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.e2e._server import Server, make_consortium


def _credo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["credo", *args], capture_output=True, text=True, timeout=300)


def _accepted(url: str) -> float:
    """credo_entries_accepted_total as `curl /metrics` shows it."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    (line,) = [x for x in text.splitlines() if x.startswith("credo_entries_accepted_total ")]
    return float(line.split()[1])


def test_bench_log_over_http(tmp_path: Path) -> None:
    data = make_consortium(tmp_path / "data")
    server = Server(data, tmp_path / "serve.log")
    try:
        server.wait_ready()
        before = _accepted(server.url)
        done = _credo(
            "bench", "log", "--data", str(data), "--url", server.url,
            "--entries", "300", "--batch", "100", "--ceiling-seconds", "0.2",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr + server.output()
        assert _accepted(server.url) - before == 301  # the bench's member, then its 300
    finally:
        server.stop()
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (figures["mode"], figures["entries"]) == ("http", 300)
    # Every batch's answer carried a signed checkpoint that covers it.
    assert figures["checkpoint_p99_ms"] is not None
    assert figures["checkpoint_p99_ms"] <= figures["ack_p99_ms"] + 1
    verified = _credo("verify", "--data", str(data))
    assert verified.returncode == 0, verified.stderr
    assert "306 entries" in verified.stdout  # genesis, 4 members, the bench member, 300


def test_bench_log_names_an_unreachable_server(tmp_path: Path) -> None:
    data = make_consortium(tmp_path / "data")
    done = _credo(
        "bench", "log", "--data", str(data), "--url", "http://127.0.0.1:9", "--entries", "1"
    )
    assert done.returncode == 2
    assert "cannot reach http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
