"""Operations endpoints: ``/healthz`` (the process answers), ``/readyz`` (it can serve: the
store reads, the writer runs, the log has a checkpoint) and ``/metrics`` (Prometheus text).

The figures are read when Prometheus scrapes, from the plain counters the write path and the
rescorer keep (`credo.ledger.stats`); every label value is one of credo's own reason codes,
never an identifier of a person or a member's data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from credo.api.admission import Capacity
from credo.api.problems import problem
from credo.api.processes import Sibling
from credo.errors import NotFound, StoreError
from credo.ledger import Ledger, proofs
from credo.ledger.stats import Histogram
from credo.services.rescorer import Rescorer
from credo.services.witnessing import Witnessing, quorum_met

router = APIRouter(include_in_schema=False)  # operations, documented in docs/operations.md


class CredoCollector(Collector):
    def __init__(
        self,
        ledger: Ledger,
        rescorer: Rescorer,
        witnessing: Witnessing,
        started: float,
        capacity: Capacity | None = None,
    ) -> None:
        self.ledger = ledger
        self.rescorer = rescorer
        self.witnessing = witnessing
        self.started = started
        self.capacity = capacity

    def collect(self) -> Iterator[Metric]:
        if self.capacity is not None:
            yield from self._admission(self.capacity)
        stats = self.ledger.sequencer.stats
        accepted = CounterMetricFamily(
            "credo_entries_accepted", "Entries accepted onto the log since start."
        )
        accepted.add_metric([], stats.accepted)
        yield accepted
        refused = CounterMetricFamily(
            "credo_entries_refused", "Entries refused since start, by reason code.", labels=["code"]
        )
        for code, n in sorted(stats.refused.items()):
            refused.add_metric([code], n)
        yield refused
        failed = CounterMetricFamily(
            "credo_group_commits_failed", "Group commits that failed as a whole (store errors)."
        )
        failed.add_metric([], stats.failed_groups)
        yield failed
        yield _histogram(
            "credo_group_commit_entries", "Entries per group commit.", stats.group_entries
        )
        yield _histogram(
            "credo_group_commit_seconds",
            "Time from taking a group to its durable commit and checkpoint.",
            stats.commit_seconds,
        )
        forwarded = CounterMetricFamily(
            "credo_entries_forwarded",
            "Entries this process handed to the active sequencer (it was standing by).",
        )
        forwarded.add_metric([], stats.forwarded)
        yield forwarded
        vouched = CounterMetricFamily(
            "credo_entries_vouched",
            "Entries a sibling serving process forwarded here with its signatures verified.",
        )
        vouched.add_metric([], stats.vouched)
        yield vouched
        lease = self.ledger.sequencer.lease
        role = None if lease is None else lease.role()
        yield _gauge(
            "credo_sequencer_active",
            "1 while this process is the log's sequencer (holds the lease), else 0.",
            1 if role is None or role.active else 0,
        )
        if role is not None and role.epoch is not None:
            yield _gauge(
                "credo_sequencer_epoch", "The sequencer lease's epoch as last seen.", role.epoch
            )
        yield _gauge(
            "credo_sequencer_queue_depth",
            "Submissions waiting for the next group commit.",
            self.ledger.sequencer.queued,
        )
        last = stats.last_commit if stats.last_commit is not None else self.started
        yield _gauge(
            "credo_checkpoint_age_seconds",
            "Seconds since the last checkpoint was published (since start if none yet).",
            time.time() - last,
        )
        yield _gauge(
            "credo_rescoring_queue_depth",
            "Commits whose rescoring has not run yet (the rescoring lag).",
            self.rescorer.queued,
        )
        yield _gauge(
            "credo_rescoring_retries_pending",
            "People whose last rescoring failed, waiting to be retried.",
            self.rescorer.pending_retries,
        )
        failures = CounterMetricFamily(
            "credo_rescoring_failures", "Rescorings that failed since start (each retried)."
        )
        failures.add_metric([], self.rescorer.failures)
        yield failures
        switch = self.rescorer.switch
        running = switch is not None and switch.phase not in ("done", "failed")
        yield _gauge(
            "credo_rules_switch_in_progress",
            "1 while everyone is being rescored under newly adopted rules, else 0.",
            1 if running else 0,
        )
        yield _gauge(
            "credo_rules_switch_done",
            "Progress of the last change of rules within its phase: done so far.",
            0 if switch is None else switch.done,
        )
        yield _gauge(
            "credo_rules_switch_total",
            "Progress of the last change of rules within its phase: the total.",
            0 if switch is None else switch.total,
        )
        phase = GaugeMetricFamily(
            "credo_rules_switch_phase",
            "1 for the phase the last change of rules is in (reading, scoring, storing, done, "
            "failed); absent before the first.",
            labels=["code"],
        )
        if switch is not None:
            phase.add_metric([switch.phase], 1)
        yield phase
        switches = CounterMetricFamily(
            "credo_rules_switches", "Changes of rules completed (new rules served) since start."
        )
        switches.add_metric([], self.rescorer.switches)
        yield switches
        yield from self._witnessing()

    def _admission(self, capacity: Capacity) -> Iterator[Metric]:
        yield _gauge(
            "credo_requests_in_flight", "Requests this process is working on.", capacity.in_flight
        )
        yield _gauge(
            "credo_event_loop_lag_seconds",
            "How late this process's event loop last ran a timer (requests wait this long).",
            capacity.lag,
        )
        refused = CounterMetricFamily(
            "credo_requests_refused_overloaded",
            "Requests answered 503 overloaded (Retry-After) at once, past capacity.",
        )
        refused.add_metric([], capacity.refused)
        yield refused

    def _witnessing(self) -> Iterator[Metric]:
        """Present once a witness policy is adopted; the quorum of the checkpoint served."""
        try:
            published = proofs.latest(self.ledger.store)
        except NotFound:
            return
        met = quorum_met(self.ledger.store, published.note, self.ledger.verifier)
        if met is None:
            return
        yield _gauge(
            "credo_witness_quorum_met",
            "1 if the checkpoint /log/checkpoint serves meets the witness policy's quorum, "
            "else 0 (clients refuse it; entries are still accepted).",
            1 if met else 0,
        )
        stats = self.witnessing.stats
        failed = CounterMetricFamily(
            "credo_witness_failures",
            "add-checkpoint requests that got no valid cosignature, by witness (policy name).",
            labels=["witness"],
        )
        for name, n in sorted(stats.failures.items()):
            failed.add_metric([name], n)
        yield failed
        rounds = CounterMetricFamily(
            "credo_witness_rounds", "Rounds of offering the latest checkpoint to witnesses."
        )
        rounds.add_metric([], stats.rounds)
        yield rounds


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def _histogram(name: str, documentation: str, h: Histogram) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], h.cumulative(), sum_value=h.total)
    return family


def metrics_registry(
    ledger: Ledger,
    rescorer: Rescorer,
    witnessing: Witnessing,
    capacity: Capacity | None = None,
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CredoCollector(ledger, rescorer, witnessing, time.time(), capacity))
    return registry


@router.get("/metrics")
def metrics(request: Request, scope: str = "all") -> Response:
    """This process's figures; with siblings (`credo serve --processes`), unless
    ``?scope=process``, every process's, each sample labelled with its ``process``."""
    registry: CollectorRegistry = request.app.state.metrics
    own = generate_latest(registry).decode()
    siblings: list[Sibling] = getattr(request.app.state, "siblings", [])
    me: Sibling | None = getattr(request.app.state, "process", None)
    if scope == "process" or me is None:
        return Response(own, media_type=PROMETHEUS_TEXT)
    texts = {me.index: own}
    import httpx  # here: a scrape is rare, and every process's start would load it

    with httpx.Client(timeout=_SIBLING_SECONDS) as http:
        for sibling in siblings:
            try:
                answer = http.get(f"{sibling.url}/metrics", params={"scope": "process"})
            except httpx.HTTPError:
                continue  # restarting: its figures are absent from this scrape
            if answer.status_code == 200:
                texts[sibling.index] = answer.text
    return Response(merge_processes(texts), media_type=PROMETHEUS_TEXT)


PROMETHEUS_TEXT = "text/plain; version=0.0.4"
_SIBLING_SECONDS = 2.0


def merge_processes(texts: dict[int, str]) -> str:
    """Several processes' Prometheus texts as one: each family once, each sample with a
    ``process`` label (the process's index under `credo serve --processes`)."""
    families: dict[str, tuple[str, str, list[str]]] = {}
    for index, text in sorted(texts.items()):
        for family in text_string_to_metric_families(text):
            _, _, lines = families.setdefault(family.name, (family.documentation, family.type, []))
            for sample in family.samples:
                labels = {**sample.labels, "process": str(index)}
                inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
                lines.append(f"{sample.name}{{{inner}}} {_number(sample.value)}")
    out: list[str] = []
    for name, (documentation, kind, lines) in families.items():
        help_text = documentation.replace("\\", "\\\\").replace("\n", "\\n")
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(lines)
    return "\n".join(out) + "\n"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sequencer_role(ledger: Ledger) -> dict[str, object]:
    """This process's part in sequencing: ``active`` (it writes the log) or ``standby`` (it
    forwards to ``active``, the URL of the one that does, if known); the lease's epoch."""
    lease = ledger.sequencer.lease
    if lease is None:
        return {"role": "active", "epoch": None, "active": None}
    role = lease.role()
    return {
        "role": "active" if role.active else "standby",
        "epoch": role.epoch,
        "active": role.active_url,
    }


@router.get("/v1/sequencer")
def sequencer(request: Request) -> dict[str, object]:
    """Which process sequences: for operators, load balancers and the failover tests; under
    `credo serve --processes`, also this process and its siblings (index, private URL)."""
    role = sequencer_role(request.app.state.node.ledger)
    me: Sibling | None = getattr(request.app.state, "process", None)
    if me is not None:
        role["process"] = {"index": me.index, "url": me.url}
        role["siblings"] = [
            {"index": s.index, "url": s.url} for s in getattr(request.app.state, "siblings", [])
        ]
    return role


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    ledger: Ledger = request.app.state.node.ledger
    problems = []
    try:
        if ledger.store.latest_checkpoint() is None:
            problems.append("no_checkpoint")
    except StoreError as exc:
        problems.append(exc.code)
    if not ledger.sequencer.running:
        problems.append("sequencer_stopped")
    if problems:
        return problem(503, "not_ready", "not ready: " + ", ".join(problems))
    return JSONResponse({"status": "ready"})
