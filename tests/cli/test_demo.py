"""`credo demo`: creates the synthetic consortium once, with a roster, and reuses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.services.accounts import relying_party
from credo.services.node import init_consortium
from credo.settings import Settings


def test_demo_creates_once_then_reuses(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    runner = CliRunner()
    created = runner.invoke(app, ["demo", "--data", str(root), "--people", "50", "--no-serve"])
    assert created.exit_code == 0, created.output
    assert "created the demo consortium" in created.output
    roster = json.loads((root / "demo-people.json").read_text(encoding="utf-8"))["people"]
    assert "TH-1103700012345" in created.output  # the roster hint
    assert len(roster) >= 8
    assert json.loads((root / "config.json").read_text())["demo"] is True
    size = (root / "ledger.db").stat().st_size
    again = runner.invoke(app, ["demo", "--data", str(root), "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "reusing the demo consortium" in again.output
    assert (root / "ledger.db").stat().st_size == size


def test_demo_refuses_bad_input_and_other_consortia(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["demo", "--data", str(tmp_path / "x"), "--people", "-1"])
    assert bad.exit_code == 2
    assert not (tmp_path / "x").exists()
    init_consortium(tmp_path / "plain", "credo.example/plain").close()
    other = runner.invoke(app, ["demo", "--data", str(tmp_path / "plain"), "--no-serve"])
    assert other.exit_code != 0


def test_every_sector_but_the_operator_has_default_roles() -> None:
    from credo.ledger.schema import ROLES, SECTORS
    from credo.services.node import DEFAULT_ROLES

    assert set(DEFAULT_ROLES) == set(SECTORS) - {"operator"}
    assert {r for roles in DEFAULT_ROLES.values() for r in roles} <= set(ROLES)


def test_the_passkey_origin_follows_the_port(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`credo demo --port 8123` (which serves through `credo serve`) bound passkeys to
    http://localhost:8000 whatever the port, so no passkey made on its pages verified."""
    from credo.api import server

    monkeypatch.delenv("CREDO_PUBLIC_URL", raising=False)
    served: list[Settings] = []
    monkeypatch.setattr(server, "run", lambda app, settings: served.append(settings))
    result = CliRunner().invoke(
        app, ["serve", "--data", str(data_dir), "--port", "8123", "--processes", "1"]
    )
    assert result.exit_code == 0, result.output
    assert served[0].public_url == "http://localhost:8123"
    assert relying_party(served[0].public_url) == ("localhost", "http://localhost:8123")
    monkeypatch.setenv("CREDO_PUBLIC_URL", "https://portal.example")  # a given one stays
    assert Settings(port=8123).public_url == "https://portal.example"
