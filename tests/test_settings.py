"""Settings shared by the server and credo's own clients."""

from __future__ import annotations

from collections.abc import Callable

import annotated_types
import httpx
import pytest

from credo.client.member import MemberClient
from credo.ledger.keys import MemberKey
from credo.mirror.source import LogSource
from credo.services.forwarding import Forwarder
from credo.settings import CLIENT_KEEPALIVE_SECONDS, Settings


def _forwarder() -> httpx.Client:
    return Forwarder()._http


def _member() -> httpx.Client:
    return MemberClient("http://localhost", "bank", MemberKey.generate())._http


def _mirror() -> httpx.Client:
    return LogSource("http://localhost")._http


@pytest.mark.parametrize("client", [_forwarder, _member, _mirror], ids=lambda f: f.__name__[1:])
def test_credo_clients_drop_an_idle_connection_well_before_a_server_may_close_it(
    client: Callable[[], httpx.Client],
) -> None:
    """A request never goes out on a connection the server may be closing as idle: credo's
    clients keep one for less than half the shortest keep-alive timeout `credo serve`
    accepts (equal timeouts on both sides lost a forwarded batch to a ReadError)."""
    field = Settings.model_fields["keep_alive_timeout"]
    shortest = min(m.ge for m in field.metadata if isinstance(m, annotated_types.Ge))
    assert shortest / 2 > CLIENT_KEEPALIVE_SECONDS
    http = client()
    try:
        pool = http._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == CLIENT_KEEPALIVE_SECONDS
    finally:
        http.close()
