"""An outgoing HTTP client made at its first use.

A server makes clients it may never use: the forwarder (only a standby process forwards) and
the witnesses' (only once a witness policy is adopted). Making an ``httpx.Client`` loads the
system's CA certificates, and importing httpx was 0.13 s of every `credo` process's start;
here neither happens until a request is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class LazyClient:
    """``make()``'s client, made once at the first `get`, from any thread."""

    def __init__(self, make: Callable[[], httpx.Client]) -> None:
        self._make = make
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = self._make()
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
