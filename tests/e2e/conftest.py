"""Fixtures shared by the end-to-end tests: Debian's Chromium through Playwright, and the Go
tlog client, built once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e._browser import CHROMIUM

GOCLIENT = Path(__file__).parent / "goclient"
GOPATH = "/usr/share/gocode"  # Debian's golang-golang-x-mod-dev


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def goclient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go client, built in GOPATH mode against the system's golang.org/x/mod."""
    out = tmp_path_factory.mktemp("goclient")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(out / "cache"),
    }
    binary = out / "goclient"
    done = subprocess.run(
        ["go", "build", "-o", str(binary), "main.go"],
        cwd=GOCLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"go build failed:\n{done.stderr}"
    return binary
