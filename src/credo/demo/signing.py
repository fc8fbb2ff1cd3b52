"""The demo's members' side: a second process that seals and signs a month of entries ahead of
the one that sequences them (two cores, one log).

`MembersProcess` starts the process, hands it jobs in order (`records`, `operator`) and gives
back a future for each; the process holds its own node (never written through: the members'
checks and the vault), `People` and the members' keys in `_MembersSide`, created in the
process itself, so nothing lives in a module global.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
from collections import deque
from concurrent.futures import Future
from multiprocessing.queues import Queue
from pathlib import Path
from types import TracebackType
from typing import Any

from credo.errors import CredoError
from credo.ledger.dsse import encode_envelope, sign_envelope
from credo.ledger.keys import MemberKey
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.records import RecordSpec

Grant = tuple[str, str, list[str], str]
"""A consent to prepare: member, purpose, categories, valid until."""
Signed = tuple[list[str | None], bytes]
"""The ids of what was prepared (records, consents), in order, and the signed envelopes as
the body of a ``POST /v1/entries`` (empty if there were none)."""

POLL_SECONDS = 0.5
"""How often the reply reader looks whether the members' process is still alive."""


class _MembersSide:
    """In the members' process: what the members and the consent manager sign with."""

    def __init__(self, root: Path) -> None:
        self.node = Node(DataDir(root)).start()
        self.people = People.open(self.node)
        self.keys: dict[str, MemberKey] = {}

    def close(self) -> None:
        self.node.close()

    def _key(self, member: str) -> MemberKey:
        key = self.keys.get(member)
        if key is None:
            key = self.keys[member] = MemberKey.load(self.node.data.member_key(member))
        return key

    def records(self, specs: list[RecordSpec], at: str) -> Signed:
        """Seal the records (`Records.prepare_many`: the vault's one transaction) and sign
        each with its member's key, as the member would."""
        record_ids: list[str | None] = []
        envelopes: list[bytes] = []
        for spec, entry in zip(specs, self.people.records.prepare_many(specs, at), strict=True):
            record_ids.append(entry.record_id)
            signed = sign_envelope(entry.payload_type, entry.payload, [self._key(spec.member_id)])
            envelopes.append(encode_envelope(signed))
        return record_ids, b'{"entries":[' + b",".join(envelopes) + b"]}"

    def operator(self, items: list[tuple[str, Grant | None]], at: str) -> Signed:
        """Enrolments (no grant) and consent grants, sealed and signed as the operator (the
        consent manager) would; the ids are the consents'."""
        people, vault = self.people, self.people.vault
        consent_ids: list[str | None] = []
        envelopes = []
        for national_id, grant in items:
            if grant is None:
                ref = vault.subject_ref(national_id) or vault.ensure_subject(national_id)
                envelopes.append(people.operator_envelope("programme.enrol", ref, {}, at))
            else:
                member, purpose, categories, until = grant
                consent_id, envelope = people.consents.envelope(
                    national_id, member, purpose, categories, until, at=at
                )
                consent_ids.append(consent_id)
                envelopes.append(envelope)
        if not envelopes:
            return consent_ids, b""
        return consent_ids, json.dumps({"entries": envelopes}, separators=(",", ":")).encode()


def _serve(root: str, jobs: Queue[tuple[str, tuple[Any, ...]] | None], replies: Queue[Any]) -> None:
    """The members' process: do each job in order and send back its result or its error."""
    side = _MembersSide(Path(root))
    try:
        while (job := jobs.get()) is not None:
            name, args = job
            try:
                replies.put((True, getattr(side, name)(*args)))
            except Exception as exc:  # noqa: BLE001 - raised again in the seeding process
                replies.put((False, exc))
    finally:
        side.close()


class MembersProcess:
    """The seeding process's handle on the members' process: ``start``, submit, ``close``."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._jobs: Queue[tuple[str, tuple[Any, ...]] | None] = context.Queue()
        self._replies: Queue[Any] = context.Queue()
        self._process = context.Process(
            target=_serve, args=(str(root), self._jobs, self._replies), name="demo-members"
        )
        self._pending: deque[Future[Signed]] = deque()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="demo-members-replies")

    def start(self) -> None:
        self._process.start()
        self._reader.start()

    def close(self) -> None:
        """Let the process finish the jobs it was given, then stop it and the reader."""
        self._jobs.put(None)
        self._process.join()
        self._reader.join()
        self._jobs.close()
        self._replies.close()

    def __enter__(self) -> MembersProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def records(self, specs: list[RecordSpec], at: str) -> Future[Signed]:
        return self._submit("records", (specs, at))

    def operator(self, items: list[tuple[str, Grant | None]], at: str) -> Future[Signed]:
        return self._submit("operator", (items, at))

    def _submit(self, name: str, args: tuple[Any, ...]) -> Future[Signed]:
        future: Future[Signed] = Future()
        with self._lock:  # jobs and their futures in the same order
            self._pending.append(future)
            self._jobs.put((name, args))
        return future

    def _read(self) -> None:
        """Resolve the futures in order as replies come; fail the rest if the process dies."""
        while True:
            try:
                ok, value = self._replies.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self._process.is_alive() or self._process.exitcode is None:
                    continue
                with self._lock:
                    while self._pending:
                        self._pending.popleft().set_exception(
                            CredoError("the demo's members' process stopped", code="demo_worker")
                        )
                return
            with self._lock:
                future = self._pending.popleft()
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
