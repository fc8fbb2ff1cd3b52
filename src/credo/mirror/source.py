"""What a mirror reads from the log it follows: GETs of its C2SP tlog-tiles endpoints, nothing
else, and nothing here is trusted: every byte is checked by `credo.mirror.follow`.

A log that cannot be reached, or answers something other than 200, raises `LogUnavailable`
(a following mirror tries again later); a body of the wrong length for the tile asked for is
already a `VerificationError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from credo.errors import InputError, LogUnavailable, VerificationError
from credo.settings import CLIENT_KEEPALIVE_SECONDS
from credo.tlog import HASH_SIZE, TILE_WIDTH, decode_entry_bundle, entries_path, tile_path

if TYPE_CHECKING:
    import httpx

MAX_NOTE = 1 << 20  # a checkpoint with 100 signatures is a few KiB


class LogSource:
    """The log at ``url`` (its ``/log/`` endpoints), over one keep-alive HTTP client."""

    def __init__(
        self, url: str, transport: httpx.BaseTransport | None = None, timeout: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        import httpx  # here: importing it was 0.13 s of every `credo` command's start

        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LogSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(self, path: str) -> httpx.Response:
        import httpx  # loaded by `__init__`

        try:
            answer = self._http.get(path)
        except httpx.HTTPError as exc:
            raise LogUnavailable(f"GET {self.url}{path}: {exc.__class__.__name__}") from exc
        if answer.status_code != 200:
            raise LogUnavailable(
                f"GET {self.url}{path} answered {answer.status_code}",
                http_status=answer.status_code,
            )
        return answer

    def vkey(self) -> str:
        return self._get("/log/vkey").content.decode("utf-8", "replace").strip()

    def checkpoint(self) -> bytes:
        note = self._get("/log/checkpoint").content
        if len(note) > MAX_NOTE:
            raise VerificationError(f"the checkpoint is {len(note)} bytes, over {MAX_NOTE}")
        return note

    def tile(self, level: int, index: int, width: int) -> bytes:
        """Hash tile (level, index) of ``width`` hashes: exactly that many bytes, or refused.

        A partial tile the log no longer serves (C2SP tlog-tiles lets a log drop partial
        tiles once the full one exists) is read from the full tile, whose prefix it is."""
        path = tile_path(level, index, width)
        data = self._partial(path, tile_path(level, index), width)
        if width < TILE_WIDTH and len(data) == TILE_WIDTH * HASH_SIZE:
            data = data[: width * HASH_SIZE]  # from the full tile
        if len(data) != width * HASH_SIZE:
            raise VerificationError(
                f"{path} is {len(data)} bytes, not {width} hashes", code="bad_tile"
            )
        return data

    def bundle(self, index: int, width: int) -> list[bytes]:
        """The ``width`` entries of entry bundle ``index``, or `VerificationError`."""
        path = entries_path(index, width)
        try:
            entries = decode_entry_bundle(self._partial(path, entries_path(index), width))
        except InputError as exc:
            raise VerificationError(f"{path}: {exc.message}", code="bad_bundle") from exc
        if width < TILE_WIDTH and len(entries) == TILE_WIDTH:
            entries = entries[:width]  # from the full bundle
        if len(entries) != width:
            raise VerificationError(
                f"{path} holds {len(entries)} entries, not {width}", code="bad_bundle"
            )
        return entries

    def _partial(self, path: str, full: str, width: int) -> bytes:
        try:
            return self._get("/log/" + path).content
        except LogUnavailable as exc:
            if width == TILE_WIDTH or exc.http_status != 404:
                raise
        return self._get("/log/" + full).content
