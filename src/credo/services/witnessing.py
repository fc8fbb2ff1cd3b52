"""Witnessing: the log's side of C2SP tlog-witness, and whether a checkpoint has its quorum.

The consortium adopts its witnesses and a quorum by governance (``adopt_witness_policy``, a
C2SP tlog-policy kept in the store's ``witness_policy`` meta key). `Witnessing` then sends
each new checkpoint to every witness of that policy, in parallel, and keeps the cosignature
lines they answer with beside the checkpoint (`Store.put_cosignature`); `credo.ledger.proofs`
serves a checkpoint with them, as extra signature lines of the signed note.

It runs on a thread of its own, woken by the sequencer's commit listener: the write path
never waits for a witness. It coalesces: a round takes the latest checkpoint when it starts,
and commits during the round only wake it again, so a witness sees at most one request at a
time from this log, never a backlog. Each request carries the ``old N`` line of the size that
witness last cosigned and the consistency proof from it (from the store's tiles); a 409
tells the witness's real size (after a restart, or a lost answer), and the request is made
again from there. While the latest checkpoint lacks its quorum (or no policy is adopted
yet), a round is retried every ``retry`` seconds even without new commits, so quorum returns
with the witnesses, and a policy adopted by another process is found.

Nothing here is trusted by a client: each returned line is verified against the witness's
key before it is kept, and clients verify every line again (`Policy.verify_log_checkpoint`).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from credo.errors import CredoError, InputError, VerificationError
from credo.lazy_client import LazyClient
from credo.ledger.kinds.governance import WITNESS_POLICY_META
from credo.ledger.validate import Decoded
from credo.store import Store
from credo.tlog import (
    Checkpoint,
    NoteVerifier,
    Policy,
    TileHashReader,
    consistency_proof,
    parse_note,
    parse_policy,
    verify_cosignatures,
)
from credo.tlog.policy import PolicyWitness

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
"""How long one add-checkpoint request may take before the witness counts as unavailable."""
RETRY_SECONDS = 5.0
"""How often a checkpoint short of its quorum is offered again to the witnesses missing."""
TLOG_SIZE = "text/x.tlog.size"
QUORUM_HEADER = "Credo-Witness-Quorum"


@lru_cache(maxsize=8)
def _parsed(text: str) -> Policy:
    return parse_policy(text)


def adopted_policy(store: Store) -> Policy | None:
    """The witness policy governance adopted, or None (none adopted: nothing to witness)."""
    text = store.get_meta(WITNESS_POLICY_META)
    return None if text is None else _parsed(text)


@lru_cache(maxsize=64)
def _meets(note: bytes, policy_text: str, log_vkey: str) -> bool:
    try:
        _parsed(policy_text).verify_log_checkpoint(note, NoteVerifier.from_vkey(log_vkey))
    except (VerificationError, InputError):
        return False
    return True


def quorum_met(store: Store, note: bytes, log: NoteVerifier) -> bool | None:
    """Whether ``note`` (a checkpoint with its cosignature lines) meets the adopted policy's
    quorum; None when no policy is adopted. Cached: the answer depends on the bytes only."""
    text = store.get_meta(WITNESS_POLICY_META)
    if text is None:
        return None
    return _meets(note, text, log.verifier_key())


@dataclass
class WitnessingStats:
    rounds: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """Failed add-checkpoint requests by witness name (policy name) since start."""
    latest_met: bool | None = None
    """Whether the latest checkpoint met the quorum after the last round (None: no policy)."""


class Witnessing:
    """Submits the log's checkpoints to the adopted policy's witnesses, off the write path."""

    def __init__(
        self,
        store: Store,
        log_verifier: NoteVerifier,
        *,
        timeout: float = TIMEOUT_SECONDS,
        retry: float = RETRY_SECONDS,
        transport: httpx.BaseTransport | None = None,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        """``active``: whether this process is the sequencer; only the sequencer offers
        checkpoints to witnesses, so they see one log client, not one per process."""
        self.store = store
        self.active = active
        self.log_verifier = log_verifier
        self.retry = retry
        self.stats = WitnessingStats()
        self._old: dict[str, int] = {}  # witness name -> the size it last cosigned, if known

        def make() -> httpx.Client:
            import httpx

            return httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

        self._http = LazyClient(make)  # none is asked before a witness policy is adopted
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="credo-witness")
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._round = threading.Lock()  # one round at a time: the thread's, or a caller's
        self._wake.set()  # the latest checkpoint may never have been witnessed
        self._thread = threading.Thread(target=self._run, name="credo-witnessing", daemon=True)

    def start(self) -> Witnessing:
        """Start the witnessing thread (constructing one starts nothing)."""
        if not self._thread.is_alive() and not self._stopped.is_set():
            self._thread.start()
        return self

    def on_commit(self, accepted: list[Decoded]) -> None:
        """The sequencer's listener: a new checkpoint was published; only wakes the thread."""
        del accepted
        self._wake.set()

    def kick(self) -> None:
        """Witness the latest checkpoint now (after a policy change, say)."""
        self._wake.set()

    def close(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        self._pool.shutdown(wait=True)
        self._http.close()

    def _run(self) -> None:
        behind = False
        while not self._stopped.is_set():
            self._wake.wait(timeout=self.retry if behind else None)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                met = self.witness_latest()
            except Exception:
                log.exception("a witnessing round failed")
                met = False
            # Not met, or no policy yet: look again after ``retry`` seconds even without a
            # commit here (`credo gov` or another process may adopt a policy, or append).
            behind = met is not True

    def witness_latest(self) -> bool | None:
        """One round: offer the latest checkpoint to each witness that has not cosigned it,
        keep the verified cosignatures; whether it meets the quorum now (None: no policy)."""
        with self._round:
            return self._witness_latest()

    def _witness_latest(self) -> bool | None:
        if not self.active():
            return False  # looked at again after ``retry``: this process may take over
        policy = adopted_policy(self.store)
        note = self.store.latest_checkpoint()
        if policy is None or note is None:
            self.stats.latest_met = None
            return None
        cp = Checkpoint.from_text(parse_note(note).text)
        have = self._cosigners(policy, note, cp)
        missing = [w for w in policy.witnesses.values() if w.name not in have]
        self.stats.rounds += 1
        got = [
            (w, line)
            for w, line in zip(
                missing, self._pool.map(lambda w: self._submit(w, note, cp), missing), strict=True
            )
            if line is not None
        ]
        if got:
            with self.store.write(durable=False) as tx:
                # Not fsynced: a cosignature lost to a power cut is asked for again.
                for w, line in got:
                    tx.put_cosignature(cp.size, w.verifier.name, line)
        met = policy.satisfied(have | {w.name for w, _ in got})
        self.stats.latest_met = met
        return met

    def _cosigners(self, policy: Policy, note: bytes, cp: Checkpoint) -> frozenset[str]:
        lines = b"".join(self.store.cosignatures(cp.size))
        try:
            cosigs = verify_cosignatures(parse_note(note + lines), policy.witness_verifiers())
        except (VerificationError, InputError):
            return frozenset()  # a kept line no longer verifies: ask everyone again
        return policy.cosigners(cosigs)

    def _submit(self, witness: PolicyWitness, note: bytes, cp: Checkpoint) -> bytes | None:
        """POST add-checkpoint to one witness; its verified cosignature line, or None."""
        import httpx  # here, as the client is made: where a witness is asked

        if witness.url is None:  # governance refuses a policy without URLs
            self._failed(witness, "the witness policy gives it no URL")
            return None
        url = witness.url.rstrip("/") + "/add-checkpoint"
        for _ in range(2):  # a 409 names the witness's size: once more from there
            old = self._old.get(witness.name, 0)
            if old > cp.size:
                self._failed(witness, f"it has cosigned size {old}, above the log's {cp.size}")
                return None
            try:
                proof = self._proof(old, cp.size)
                body = f"old {old}\n{proof}\n".encode() + note
                answer = self._http.get().post(url, content=body)
            except httpx.HTTPError as exc:
                self._failed(witness, f"{type(exc).__name__}: {exc}")
                return None
            except CredoError as exc:
                self._failed(witness, f"no consistency proof from {old}: {exc.message}")
                self._old.pop(witness.name, None)
                return None
            if answer.status_code == 409 and answer.headers.get("content-type") == TLOG_SIZE:
                size = answer.text.strip()
                if not size.isdigit():
                    break
                self._old[witness.name] = int(size)
                continue
            if answer.status_code != 200:
                break
            line = self._verified(witness, note, answer.content)
            if line is not None:
                self._old[witness.name] = cp.size
            return line
        self._failed(witness, f"HTTP {answer.status_code}: {answer.text[:200]!r}")
        return None

    def _proof(self, old: int, size: int) -> str:
        if old == 0 or old == size:
            return ""
        hashes = consistency_proof(old, size, TileHashReader(self.store.read_tile))
        return "".join(base64.b64encode(h).decode() + "\n" for h in hashes)

    def _verified(self, witness: PolicyWitness, note: bytes, body: bytes) -> bytes | None:
        """The witness's own cosignature line among those it answered, once it verifies."""
        try:
            cosigs = verify_cosignatures(parse_note(note + body), [witness.verifier])
        except (VerificationError, InputError) as exc:
            self._failed(witness, f"its answer is not a valid cosignature: {exc.message}")
            return None
        if not cosigs:
            self._failed(witness, "its answer holds no cosignature by its key")
            return None
        return cosigs[0].line().encode()

    def _failed(self, witness: PolicyWitness, why: str) -> None:
        self.stats.failures[witness.name] += 1
        log.warning("witness %s did not cosign: %s", witness.name, why)
