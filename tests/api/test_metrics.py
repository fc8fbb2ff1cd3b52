"""Operations endpoints: health, readiness, and Prometheus metrics with no personal data."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests._people import NID, grant, put_record, read
from tests.conftest import attestation

METRICS = {
    "credo_entries_accepted_total",
    "credo_group_commits_failed_total",
    "credo_group_commit_entries_bucket",
    "credo_group_commit_seconds_bucket",
    "credo_sequencer_queue_depth",
    "credo_checkpoint_age_seconds",
    "credo_rescoring_queue_depth",
    "credo_rescoring_retries_pending",
    "credo_rescoring_failures_total",
    "credo_rules_switch_in_progress",
    "credo_rules_switch_done",
    "credo_rules_switch_total",
    "credo_rules_switches_total",
}
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def _samples(client: TestClient) -> list[tuple[str, dict[str, str], float]]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out = []
    for line in r.text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"] or ""))
        out.append((m["name"], labels, float(m["value"])))
    return out


def _value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(
        v for n, ls, v in samples if n == name and all(ls.get(k) == x for k, x in labels.items())
    )


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_metrics_names_and_counters_move(client: TestClient, data_dir: Path) -> None:
    before = _samples(client)
    assert {n for n, _, _ in before} >= METRICS
    entries = [attestation(data_dir, n) for n in range(3)]
    assert client.post("/v1/entries", json={"entries": entries}).status_code == 200
    assert client.post("/v1/entries", json={"entries": entries[:1]}).status_code == 422
    after = _samples(client)
    assert (
        _value(after, "credo_entries_accepted_total")
        - _value(before, "credo_entries_accepted_total")
        == 3
    )
    assert _value(after, "credo_entries_refused_total", code="attestation_exists") == 1
    assert {n for n, _, _ in after} >= {*METRICS, "credo_entries_refused_total"}
    assert _value(after, "credo_group_commit_entries_count") > _value(
        before, "credo_group_commit_entries_count"
    )


def test_no_metric_label_carries_personal_data(client: TestClient, data_dir: Path) -> None:
    """Labels are only reason codes (and histogram bounds): never a national id, a subject
    ref, a record id or a member's free text, whatever the traffic was."""
    record = put_record(client, data_dir, "bank", {"amount": 1200})
    consent = grant(client, data_dir, "bank")
    read(client, data_dir, "bank", ("consent", consent))
    read(client, data_dir, "uni", ("consent", "f" * 32))  # refused
    text = client.get("/metrics").text
    assert NID not in text
    assert record not in text
    assert consent not in text
    for _, labels, _ in _samples(client):
        assert set(labels) <= {"code", "le"}
        if "code" in labels:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", labels["code"]), labels
