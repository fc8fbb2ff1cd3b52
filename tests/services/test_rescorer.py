"""Rescoring survives anything one person's data does: nobody else's score stops."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.ledger.validate import Decoded
from credo.services import rescorer as rescorer_module
from credo.services import scores
from credo.services.programme import Programme
from credo.services.rescorer import Rescorer
from credo.store import Store
from tests.conftest import member_key

ALICE, BOB = "ID-ALICE-0001", "ID-BOB-0002"


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _enrolled(store: Store, ref: str) -> Decoded:
    """An accepted enrolment of ``ref``: its tag, as the ledger recorded it."""
    tag = secrets.token_hex(30)[:59]
    with store.write() as tx:
        tx.add_tag(tag, 10**9, ref)
    return Decoded(b"", b"", "programme.enrol", "operator", "", {"tag": tag}, (), ())


def test_one_record_with_an_impossible_date_stops_no_scoring(
    prog: Programme, data_dir: Path
) -> None:
    """A record.put with effective_at 2026-02-30 killed the rescorer thread, made the
    person's eligibility a 500 and `credo score --all` / `--explain` crash. Such a record,
    already on a log from before dates were checked, is now simply not scored."""
    good, _ = prog.people.put_record(
        member_key(data_dir, "bank"), "bank", ALICE, "finance", "loan.repaid", {}, None
    )
    ref = prog.enrol(ALICE)
    stored = prog.store.get_record(good)
    assert stored is not None
    bad = dataclasses.replace(stored, record_id="f" * 32, effective_at="2026-02-30T00:00:00Z")
    with prog.store.write() as tx:
        tx.put_record(bad)
    scored = {r.record_id for r in scores.scoring_records(prog.store, ref)}
    assert scored == {good}
    assert scores.explain(prog.store, ref)["score"] == scores.compute(prog.store, ref).score
    assert ref in scores.rescore_all(prog.store)
    assert isinstance(scores.is_eligible(prog.store, ref, "bike-deposit-free"), bool)
    root = str(data_dir)
    prog.people.close()
    for args in (["score", "--all"], ["score", "--national-id", ALICE, "--explain"]):
        result = CliRunner().invoke(app, [*args, "--data", root])
        assert result.exit_code == 0, result.output


def test_a_person_whose_rescoring_fails_is_retried_and_nobody_else_stops(
    prog: Programme, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = prog.enrol(ALICE), prog.enrol(BOB)
    broken = {alice}
    done: list[str] = []
    real = scores.rescore

    def flaky(store: object, subject: str) -> object:
        if subject in broken:
            raise ValueError("bug in one person's data")
        done.append(subject)
        return real(prog.store, subject)

    monkeypatch.setattr(rescorer_module, "rescore", flaky)
    rescorer = Rescorer(prog.store)
    try:
        rescorer.on_commit([_enrolled(prog.store, alice), _enrolled(prog.store, bob)])
        _until(lambda: bob in done and rescorer.pending_retries == 1)
        assert rescorer.failures == 1
        assert alice not in caplog.text  # the log says what failed, never for whom
        assert "rescoring one person failed (ValueError)" in caplog.text
        broken.clear()
        rescorer.on_commit([_enrolled(prog.store, bob)])  # the next commit retries alice too
        _until(lambda: alice in done)
        _until(lambda: rescorer.pending_retries == 0)
    finally:
        rescorer.close()


def test_the_rescorer_survives_an_unexpected_error_before_it_knows_whom(
    prog: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = prog.enrol(BOB)
    rescorer = Rescorer(prog.store)
    calls = {"n": 0}
    real = rescorer._subjects

    def once_broken(entries: list[Decoded]) -> tuple[set[str], bool]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug")
        return real(entries)

    monkeypatch.setattr(rescorer, "_subjects", once_broken)
    try:
        rescorer.on_commit([_enrolled(prog.store, bob)])
        rescorer.on_commit([_enrolled(prog.store, bob)])
        _until(lambda: prog.store.get_score(bob) is not None)
        assert rescorer.failures == 1
    finally:
        rescorer.close()
