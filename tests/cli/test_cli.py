"""The ledger commands end to end (init, member add, verify, rebuild, bench log), their error
paths (a message and an exit code, never a traceback), and help text on every command."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from credo.cli import app

ORIGIN = "credo.test/cli"
VERIFY_LINE = re.compile(
    r"^OK: (\d+) entries, (\d+) checkpoints, (\d+) tiles, (\d+) members "
    r"\(people's entries (?:opened|sealed)\); root ([0-9a-f]{64})$"
)


def credo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDO_MASTER_KEY"}
    env["COLUMNS"] = "200"  # keep Rich from wrapping messages the tests look for
    return subprocess.run(["credo", *args], capture_output=True, text=True, env=env, timeout=180)


def assert_clean_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, done.stdout
    said = " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in said, done.stderr


def verify_ok(data: Path) -> re.Match[str]:
    done = credo("verify", "--data", str(data))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    match = VERIFY_LINE.match(lines[0])
    assert match, lines[0]
    return match


def test_init_member_add_verify_rebuild(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init = credo("init", "--data", str(data), "--origin", ORIGIN)
    assert init.returncode == 0, init.stderr
    vkey = init.stdout.strip().splitlines()[-1]
    assert re.fullmatch(re.escape(ORIGIN) + r"\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", vkey)
    assert (data / "keys" / "log.pem").exists()

    added = credo(
        "member", "add", "--data", str(data), "--id", "acme", "--name", "Acme Ltd",
        "--sector", "company", "--role", "issuer", "--role", "reader",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (data / "keys" / "acme.pem").exists()
    listed = credo("member", "list", "--data", str(data))
    assert listed.returncode == 0, listed.stderr
    assert "acme\tcompany\tactive\tissuer,reader\tAcme Ltd" in listed.stdout.splitlines()

    first = verify_ok(data)
    assert first.group(1) == "2"  # genesis and one admission
    assert first.group(4) == "2"  # the operator and acme

    rebuilt = credo("rebuild", "--data", str(data))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.strip() == "rebuilt state from 2 entries"
    again = verify_ok(data)
    assert again.group(0) == first.group(0)


def test_derived_state_of_an_earlier_schema_asks_for_a_rebuild(tmp_path: Path) -> None:
    """A data directory holding derived tables of an earlier credo (here the attestation
    table before it became a compact index) is refused with the command that fixes it."""
    data = tmp_path / "data"
    assert credo("init", "--data", str(data), "--origin", ORIGIN).returncode == 0
    with sqlite3.connect(data / "ledger.db") as conn:
        conn.execute("CREATE TABLE attestations (digest TEXT PRIMARY KEY, issuer TEXT)")
    done = credo("member", "add", "--data", str(data), "--id", "acme", "--name", "Acme",
                 "--sector", "company")  # fmt: skip
    assert_clean_failure(done, "earlier credo", f"credo rebuild --data {data}")
    assert credo("rebuild", "--data", str(data)).returncode == 0
    done = credo("member", "add", "--data", str(data), "--id", "acme", "--name", "Acme",
                 "--sector", "company")  # fmt: skip
    assert done.returncode == 0, done.stderr
    verify_ok(data)


def test_init_refuses_an_existing_consortium(data_dir: Path) -> None:
    before = (data_dir / "config.json").read_text()
    done = credo("init", "--data", str(data_dir), "--origin", ORIGIN)
    assert_clean_failure(done, "already holds a consortium")
    assert (data_dir / "config.json").read_text() == before


def test_init_refuses_an_invalid_origin(tmp_path: Path) -> None:
    assert_clean_failure(
        credo("init", "--data", str(tmp_path / "d"), "--origin", "has+plus"), "invalid key name"
    )
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("command", [["verify"], ["rebuild"], ["member", "list"]])
def test_commands_refuse_a_missing_data_dir(tmp_path: Path, command: list[str]) -> None:
    done = credo(*command, "--data", str(tmp_path / "nowhere"))
    assert_clean_failure(done, "not a credo data directory", "credo init")


def test_member_add_refuses_a_duplicate(data_dir: Path) -> None:
    key = (data_dir / "keys" / "uni.pem").read_bytes()
    done = credo(
        "member", "add", "--data", str(data_dir), "--id", "uni", "--name", "Again",
        "--sector", "university",
    )  # fmt: skip
    assert_clean_failure(done, "member_exists", "already exists")
    assert (data_dir / "keys" / "uni.pem").read_bytes() == key


def test_member_add_refuses_the_id_of_the_log_key(data_dir: Path) -> None:
    """Regression: "log" once failed as "member 'log' already exists" (DIR/keys/log.pem is
    the log's signing key, which must never be overwritten or taken for a member's)."""
    key = (data_dir / "keys" / "log.pem").read_bytes()
    done = credo(
        "member", "add", "--data", str(data_dir), "--id", "log", "--name", "Log",
        "--sector", "company",
    )  # fmt: skip
    assert_clean_failure(done, "reserved_member_id", "log's signing key")
    assert (data_dir / "keys" / "log.pem").read_bytes() == key


def test_member_add_refuses_an_unknown_sector(data_dir: Path) -> None:
    done = credo(
        "member", "add", "--data", str(data_dir), "--id", "odd", "--name", "Odd",
        "--sector", "pirates",
    )  # fmt: skip
    assert_clean_failure(done, "sector")
    assert not (data_dir / "keys" / "odd.pem").exists()


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``command`` (Typer vendors Click, so walk by duck typing)."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


ALL_COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_walk_finds_every_command() -> None:
    paths = {" ".join(p) for p, _ in ALL_COMMANDS}
    assert {"init", "serve", "verify", "rebuild", "member add", "member list", "bench log"} <= paths


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(p) or "credo" for p, _ in ALL_COMMANDS]
)
def test_every_command_and_option_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"`credo {' '.join(path)}` has no help text"
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            assert (param.help or "").strip(), f"`credo {' '.join(path)}` {param.opts} has no help"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_bench_log_prints_its_figures_as_json(data_dir: Path) -> None:
    done = credo(
        "bench", "log", "--data", str(data_dir), "--entries", "300", "--batch", "100",
        "--ceiling-seconds", "0.2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {
        "mode",
        "entries",
        "entries_per_s",
        "ack_p50_ms",
        "ack_p99_ms",
        "checkpoint_p99_ms",
        "ed25519_ceiling_per_s",
        "ed25519_ceiling_before_per_s",
        "ed25519_ceiling_after_per_s",
        "ratio_to_ceiling",
    }
    assert figures["mode"] == "in-process"
    assert figures["entries"] == 300
    for key in ("entries_per_s", "ack_p50_ms", "ack_p99_ms", "ed25519_ceiling_per_s"):
        assert figures[key] >= 0
    before, after = figures["ed25519_ceiling_before_per_s"], figures["ed25519_ceiling_after_per_s"]
    assert min(before, after) <= figures["ed25519_ceiling_per_s"] <= max(before, after)
    assert figures["ratio_to_ceiling"] >= 0
    # The bench's entries are real ones: the log still verifies.
    assert int(verify_ok(data_dir).group(1)) == 1 + 4 + 1 + 300  # genesis, members, bench member


def test_error_messages_keep_text_in_square_brackets(data_dir: Path) -> None:
    """Rich took the member-id pattern's character classes for markup and dropped them."""
    done = credo(
        "member", "add", "--data", str(data_dir), "--id", "New_Bank", "--name", "New Bank",
        "--sector", "bank",
    )  # fmt: skip
    assert_clean_failure(done, "pattern '^[a-z0-9][a-z0-9-]{1,39}$'")


def test_printed_paths_keep_text_in_square_brackets(tmp_path: Path) -> None:
    data = tmp_path / "[b]consortium[/b]"
    done = credo("init", "--data", str(data), "--origin", ORIGIN)
    assert done.returncode == 0, done.stderr
    assert f"in {data}" in done.stdout
    added = credo("member", "add", "--data", str(data), "--id", "acme", "--name", "Acme",
                  "--sector", "company")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"private key: {data / 'keys' / 'acme.pem'}" in added.stdout
    missing = credo("verify", "--data", str(tmp_path / "[i]nowhere"))
    assert_clean_failure(missing, f"{tmp_path / '[i]nowhere'} is not a credo data directory")


def test_a_witness_policy_is_proposed_from_a_file_and_verify_policy_needs_url(
    data_dir: Path, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credo.tlog import CosignatureSigner

    vkey = CosignatureSigner("w.test", Ed25519PrivateKey.generate()).verifier_key()
    policy = tmp_path / "witnesses.policy"
    policy.write_text(f"witness W {vkey} http://w.test\nquorum W\n")
    base = ("--data", str(data_dir))
    done = credo("gov", "propose", *base, "--member", "operator", "--id", "witnesses-1",
                 "--action", "adopt_witness_policy", "--file", str(policy))  # fmt: skip
    assert done.returncode == 0, done.stderr
    for voter in ("operator", "watch"):
        voted = credo("gov", "vote", *base, "--member", voter, "--proposal", "witnesses-1")
        assert voted.returncode == 0, voted.stderr
    with sqlite3.connect(data_dir / "ledger.db") as db:
        (stored,) = db.execute("SELECT value FROM meta WHERE key = 'witness_policy'").fetchone()
    assert stored == policy.read_text()
    verify_ok(data_dir)  # the adopted policy is replayed like any state
    assert_clean_failure(credo("verify", *base, "--policy", str(policy)), "--url")
    policy.write_text("quorum W\n")
    refused = credo("gov", "propose", *base, "--member", "operator", "--id", "witnesses-2",
                    "--action", "adopt_witness_policy", "--file", str(policy))  # fmt: skip
    assert_clean_failure(refused, "bad_witness_policy", "not defined")
    missing = credo("gov", "propose", *base, "--member", "operator", "--id", "witnesses-3",
                    "--action", "adopt_witness_policy")  # fmt: skip
    assert_clean_failure(missing, "adopt_witness_policy needs --file POLICY")
