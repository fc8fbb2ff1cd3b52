"""A log to mirror, in memory: its entries, its tiles (built by credo.tlog's own
`append_leaves`), its signed checkpoints, served over an httpx MockTransport exactly as the
log's routes serve them (`credo.api.tiles`), with hooks to tamper with any answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credo.api.tiles import tile_body
from credo.errors import CredoError
from credo.mirror.follow import Mirror
from credo.mirror.source import LogSource
from credo.mirror.store import DB_FILE, MirrorStore
from credo.tlog import (
    TILE_WIDTH,
    Checkpoint,
    NoteSigner,
    append_leaves,
    encode_entry_bundle,
    leaf_hash,
    sign_checkpoint,
)
from credo.tlog.merkle import MemoryHashReader

ORIGIN = "log.test/mirrored"
URL = "http://log.test"


def fixed_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed.to_bytes(32, "big"))


LOG_SIGNER = NoteSigner(ORIGIN, fixed_key(11))


class FakeLog:
    """A log's entries and tiles; ``publish`` signs and serves a checkpoint of some size."""

    def __init__(self, signer: NoteSigner = LOG_SIGNER) -> None:
        self.signer = signer
        self.entries: list[bytes] = []
        self.tiles: dict[tuple[int, int], bytes] = {}
        self.tree = MemoryHashReader()
        self.published = 0
        self.note = b""
        self.vkey = signer.verifier_key()
        self.overrides: dict[str, Callable[[bytes], bytes]] = {}
        self.requests: list[str] = []
        self.fail_after: int | None = None  # answer 503 after this many requests

    def append(self, count: int, tag: str = "e") -> FakeLog:
        """``count`` more entries, ``<tag>-<index>``."""
        return self.add([f"{tag}-{len(self.entries) + i}".encode() for i in range(count)])

    def add(self, entries: list[bytes]) -> FakeLog:
        hashes = [leaf_hash(e) for e in entries]
        size = len(self.entries)
        self.tiles.update(append_leaves(size, hashes, lambda lv, ix: self.tiles[(lv, ix)]))
        self.entries += entries
        for h in hashes:
            self.tree.append(h)
        return self

    def checkpoint(self, size: int | None = None) -> bytes:
        size = len(self.entries) if size is None else size
        return sign_checkpoint(Checkpoint(ORIGIN, size, self.tree.root(size)), [self.signer])

    def publish(self, size: int | None = None) -> bytes:
        self.published = len(self.entries) if size is None else size
        self.note = self.checkpoint(self.published)
        return self.note

    def fork(self, upto: int, size: int, tag: str = "fork") -> FakeLog:
        """Another history signed by the same key: this log's first ``upto`` entries, then
        others, up to ``size``, published."""
        other = FakeLog(self.signer).add(self.entries[:upto]).append(size - upto, tag)
        other.publish()
        return other

    def _bundle(self, index: int, width: int) -> bytes | None:
        start = index * TILE_WIDTH
        entries = self.entries[start : start + width]
        return encode_entry_bundle(entries) if len(entries) == width else None

    def body(self, path: str) -> bytes:
        """What ``/log/<path>`` serves for a tile path, untampered."""
        rest = path.removeprefix("tile/")
        return tile_body(rest, self.published, lambda lv, ix: self.tiles[(lv, ix)], self._bundle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(path)
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            return httpx.Response(503)
        try:
            if path == "/log/vkey":
                body = (self.vkey + "\n").encode()
            elif path == "/log/checkpoint":
                body = self.note
            elif path.startswith("/log/tile/"):
                body = self.body(path.removeprefix("/log/"))
            else:
                return httpx.Response(404)
        except CredoError as exc:
            return httpx.Response(exc.status, json={"code": exc.code})
        change = self.overrides.get(path.removeprefix("/log/"))
        return httpx.Response(200, content=body if change is None else change(body))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def make_mirror(data: Path, log: FakeLog, **kwargs: object) -> Mirror:
    data.mkdir(parents=True, exist_ok=True)
    store = MirrorStore(data / DB_FILE).open()
    source = LogSource(URL, transport=log.transport())
    mirror = Mirror(store, source, LOG_SIGNER.verifier(), data / "evidence", **kwargs)  # type: ignore[arg-type]
    mirror.bind()
    return mirror


@pytest.fixture
def log() -> FakeLog:
    return FakeLog()


@pytest.fixture
def mirrors(tmp_path: Path) -> Iterator[Callable[..., Mirror]]:
    """Mirrors of a fake log in ``tmp_path/mirror`` (the same directory each time)."""
    made: list[Mirror] = []

    def make(log: FakeLog, **kwargs: object) -> Mirror:
        m = make_mirror(tmp_path / "mirror", log, **kwargs)
        made.append(m)
        return m

    yield make
    for m in made:
        m.source.close()
        m.store.close()
