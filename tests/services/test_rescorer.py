"""Rescoring survives anything one person's data does: nobody else's score stops."""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from credo.cli import app
from credo.ledger.validate import Decoded
from credo.scoring import (
    DEFAULT_RULES,
    DEFAULT_RULES_BYTES,
    DEFAULT_RULES_HASH,
    Score,
    load_rules,
    rules_hash,
    score_subject,
)
from credo.services import rescorer as rescorer_module
from credo.services import scores
from credo.services.node import Node
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
    good, _ = prog.people.records.put(
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
    for args in (
        ["score", "--all"],
        [
            "score",
            "--national-id",
            ALICE,
            "--explain",
            "--purpose",
            "subject_access",
            "--basis",
            "request:t-1",
        ],
    ):
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
    rescorer = Rescorer(prog.store).start()
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
    rescorer = Rescorer(prog.store).start()
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


def _new_rules() -> bytes:
    """The default rules with every line worth one point more: another hash, other scores."""
    doc = json.loads(DEFAULT_RULES_BYTES)
    for card in doc["scorecards"]:
        for line in card["lines"]:
            line["points"] += 1
            if "cap" in line:
                line["cap"]["max_points"] = line["points"] * 4
    return json.dumps(doc).encode()


def _put(prog: Programme, data_dir: Path, nid: str, days_ago: int) -> None:
    when = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    type_ = "loan.repaid" if days_ago % 2 else "bill.paid_on_time"
    prog.people.records.put(member_key(data_dir, "bank"), "bank", nid, "finance", type_, {}, when)


def test_new_rules_are_served_to_everyone_at_one_moment_while_entries_keep_arriving(
    prog: Programme, node: Node, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adopt new rules while records and enrolments keep arriving. Every answer names the
    rules it was computed under and is exactly their score; served answers go from the old
    rules to the new at one moment and never back; every enrolled person ends on the new
    rules with the score of their current records, those who changed during the switch too."""
    store = prog.store
    nids = [f"ID-SWITCH-{n:04d}" for n in range(10)]
    for n, nid in enumerate(nids[:6]):
        _put(prog, data_dir, nid, 3 + n)
        prog.enrol(nid)
    scores.rescore_all(store)
    old = DEFAULT_RULES_HASH
    assert store.serving_rules() == old
    new_doc = _new_rules()
    new = rules_hash(new_doc)
    rules = {old: DEFAULT_RULES, new: load_rules(new_doc)}

    gate, batched = threading.Event(), threading.Event()
    real_batch = scores.batch_scores

    def held_batch(*args: Any, **kwargs: Any) -> dict[str, Score]:
        out = real_batch(*args, **kwargs)
        batched.set()
        assert gate.wait(30), "the test never released the batch"
        return out

    monkeypatch.setattr(scores, "batch_scores", held_batch)
    monkeypatch.setattr(scores, "SWITCH_CHUNK", 2)  # storing spans several transactions
    rescorer = Rescorer(store).start()
    node.sequencer.add_listener(rescorer.on_commit)
    # Listeners run in turn on one thread: once this one has heard a commit, the rescorer has
    # queued it. Waiting on the rescorer's queue alone raced the commit's delivery to it.
    heard: list[int] = []
    node.sequencer.add_listener(lambda entries: heard.append(len(entries)))

    def handed(entries: int) -> Callable[[], bool]:
        return lambda: sum(heard) >= entries and rescorer.queued == 0

    seen: list[str] = []
    stop = threading.Event()
    problems: list[str] = []

    def read_answers() -> None:
        while not stop.is_set():
            for ref in store.list_enrolled():
                row = store.get_score(ref)
                if row is None:
                    continue
                if json.loads(row.doc)["rules_hash"] != row.rules_hash:
                    problems.append("a row's document names other rules than the row")
                seen.append(row.rules_hash)
                computed = scores.compute(store, ref)
                if computed.rules_hash not in rules:
                    problems.append("computed under unknown rules")
                seen.append(computed.rules_hash)

    reader = threading.Thread(target=read_answers)
    reader.start()
    try:
        body = {"id": "rules-2", "action": "adopt_rules", "params": {"document": new_doc.decode()}}
        node.submit_one("governance.propose", "operator", body)
        for voter in ("operator", "watch"):
            node.submit_one("governance.vote", voter, {"proposal": "rules-2", "vote": "yes"})
        assert store.current_rules().hash == new  # adopted, not served yet
        assert batched.wait(30)
        # Entries keep arriving while everyone is being rescored: new records for people
        # the batch has read, and people who enrol after it read the store.
        for n, nid in enumerate(nids):
            _put(prog, data_dir, nid, 40 + n)
        for nid in nids[6:]:
            prog.enrol(nid)
        _until(handed(3 + len(nids) + 4))  # the proposal, two votes, the records, enrolments
        assert store.serving_rules() == old
        assert scores.status(store)["switching"] is True
        assert rescorer.switch is not None
        assert rescorer.switch.phase == "scoring"
        gate.set()
        for nid in nids[:3]:  # and while it is being stored
            _put(prog, data_dir, nid, 80)
        _until(lambda: rescorer.switch is not None and rescorer.switch.phase == "done")
        _until(handed(3 + len(nids) + 4 + 3))
    finally:
        stop.set()
        reader.join()
        rescorer.close()  # rescores what it was handed, then stops
    assert problems == []
    assert set(seen) <= {old, new}
    first_new = seen.index(new)
    assert old not in seen[first_new:], "an old-rules answer after the switch"
    assert store.serving_rules() == new
    assert scores.status(store)["switching"] is False
    assert rescorer.switches == 1
    assert rescorer.failures == 0
    enrolled = store.list_enrolled()
    assert len(enrolled) == len(nids)
    for ref in enrolled:
        row = store.get_score(ref)
        assert row is not None
        assert row.rules_hash == new
        fresh = score_subject(rules[new], new, scores.scoring_records(store, ref), row.as_of)
        assert json.loads(row.doc) == fresh.as_dict()  # the records added meanwhile count
        assert store.get_score_under(ref, old) is None  # the old rules' cache is gone
