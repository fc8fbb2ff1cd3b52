"""Load and observation for failover tests: client threads that submit entries and record
every acknowledgement, and watchers that keep every distinct checkpoint a server publishes.

What a failover must not break is checked afterwards against the final log (`check_log`):
every acknowledged entry is at its acknowledged index with its leaf hash, and every
checkpoint anyone saw is the root of a prefix of that log, which makes them pairwise
consistent (same size, same root; a smaller one is a prefix of a larger one).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx

from credo.ledger.dsse import encode_envelope
from credo.ledger.entries import envelope_json, make_envelope
from credo.ledger.keys import MemberKey
from credo.tlog import Checkpoint, MemoryHashReader, NoteVerifier, leaf_hash, open_checkpoint
from tests.conftest import ORIGIN

SUBMIT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
"""Long enough that a frozen server's in-flight submissions wait for its answer when it is
resumed, rather than the client giving up on them."""
JOIN_TIMEOUT = 90.0


@dataclass(frozen=True)
class Ack:
    """An entry a server said it accepted: where, and the leaf it must be there."""

    url: str
    index: int
    leaf: bytes


class Load:
    """``per_url`` threads per URL, each submitting one attestation at a time until `stop`.

    Every answer is counted in ``outcomes`` by URL: ``accepted``, an HTTP status, or the
    transport error's name; every acceptance is kept in ``acks``.
    """

    def __init__(
        self, key: MemberKey, member: str, urls: Sequence[str], *, per_url: int = 2, tag: str = ""
    ) -> None:
        """``tag`` makes the documents differ from another `Load`'s on the same log (an
        attested digest may be submitted only once)."""
        self._tag = tag
        self._key = key
        self._member = member
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self.acks: list[Ack] = []
        self.outcomes: dict[str, Counter[str]] = {url: Counter() for url in urls}
        self._waiting: Counter[str] = Counter()
        self._threads = [
            threading.Thread(target=self._submit, args=(url,), daemon=True, name=f"load {url}")
            for url in urls
            for _ in range(per_url)
        ]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop submitting; wait for the submissions in flight to be answered or time out."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=JOIN_TIMEOUT)
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, f"load threads still waiting: {alive}"

    def acked_by(self, url: str) -> int:
        with self._lock:
            return self.outcomes[url]["accepted"]

    def in_flight(self, url: str) -> int:
        """Submissions sent to ``url`` and not answered yet."""
        with self._lock:
            return self._waiting[url]

    def _envelope(self) -> tuple[dict[str, object], bytes]:
        n = next(self._numbers)
        digest = hashlib.sha256(f"failover load {self._tag} {n}".encode()).hexdigest()
        body = {"digest": f"sha256:{digest}", "doc_type": "diploma"}
        env = make_envelope("attestation.issue", self._member, body, [self._key])
        return envelope_json(env), encode_envelope(env)

    def _submit(self, url: str) -> None:
        with httpx.Client(timeout=SUBMIT_TIMEOUT) as http:
            while not self._stop.is_set():
                submitted, stored = self._envelope()
                self._count(url, None, waiting=1)
                try:
                    r = http.post(f"{url}/v1/entries", json={"entries": [submitted]})
                except httpx.TransportError as exc:
                    self._count(url, type(exc).__name__)
                    self._stop.wait(0.05)  # a server down: no busy loop of refused connections
                    continue
                result = r.json()["results"][0] if r.status_code in (200, 207) else None
                if result is not None and result["status"] == "accepted":
                    with self._lock:
                        self.acks.append(Ack(url, int(result["index"]), leaf_hash(stored)))
                    self._count(url, "accepted")
                else:
                    self._count(url, str(r.status_code))
                    self._stop.wait(0.05)

    def _count(self, url: str, outcome: str | None, waiting: int = -1) -> None:
        """Count an answer to a submission (``outcome``), or one more waiting for its own."""
        with self._lock:
            self._waiting[url] += waiting
            if outcome is not None:
                self.outcomes[url][outcome] += 1


class CheckpointWatcher:
    """One thread per URL polling /log/checkpoint until `stop`; every distinct checkpoint
    (size, root) it sees, with the URL that served it first, is in ``seen``. Each is opened
    with the log's verifier key first: a checkpoint with a bad signature fails the test."""

    def __init__(self, vkey: str, urls: Sequence[str]) -> None:
        self._verifier = NoteVerifier.from_vkey(vkey)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.seen: dict[tuple[int, bytes], str] = {}
        self.failures: list[str] = []
        self._threads = [
            threading.Thread(target=self._watch, args=(url,), daemon=True, name=f"watch {url}")
            for url in urls
        ]

    def __enter__(self) -> CheckpointWatcher:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _watch(self, url: str) -> None:
        with httpx.Client(timeout=2.0) as http:
            while not self._stop.is_set():
                try:
                    r = http.get(f"{url}/log/checkpoint")
                except httpx.TransportError:
                    self._stop.wait(0.1)  # down or frozen: look again
                    continue
                if r.status_code == 200:
                    self._keep(url, r.content)
                self._stop.wait(0.02)

    def _keep(self, url: str, note: bytes) -> None:
        try:
            cp = open_checkpoint(note, self._verifier, ORIGIN)
        except Exception as exc:
            with self._lock:
                self.failures.append(f"{url}: {exc}")
            return
        with self._lock:
            self.seen.setdefault((cp.size, cp.root_hash), url)


def check_log(
    entries: Sequence[bytes],
    final: Checkpoint,
    acks: Iterable[Ack],
    checkpoints: Iterable[tuple[int, bytes]],
) -> MemoryHashReader:
    """Fail unless ``entries`` are the tree ``final`` signs, every ack is in it at its index,
    and every checkpoint (size, root) is the root of a prefix of it."""
    tree = MemoryHashReader(leaf_hash(e) for e in entries)
    assert tree.size == final.size
    assert tree.root() == final.root_hash, "the entries served are not the final checkpoint's"
    lost = [
        a for a in acks if a.index >= tree.size or tree.read_hashes([(0, a.index)])[0] != a.leaf
    ]
    assert not lost, f"{len(lost)} acknowledged entries are not in the log where acked: {lost[:5]}"
    forks = [
        (size, root.hex())
        for size, root in checkpoints
        if size > tree.size or tree.root(size) != root
    ]
    assert not forks, f"checkpoints inconsistent with the final log (size, root): {forks[:5]}"
    return tree
