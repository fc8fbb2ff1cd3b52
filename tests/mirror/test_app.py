"""The mirror's read-only server: the log's bytes, headers and problems from the verified copy
only, and every write refused with a 405 problem."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from credo.api.tiles import IMMUTABLE
from credo.errors import LogUnavailable
from credo.mirror.app import create_mirror_app
from credo.mirror.follow import Mirror
from credo.tlog import TILE_WIDTH, entries_path, tile_path
from tests.api.test_entries import assert_problem
from tests.mirror.conftest import LOG_SIGNER, FakeLog

Make = Callable[..., Mirror]


@pytest.fixture
def mirrored(log: FakeLog, mirrors: Make) -> Iterator[tuple[Mirror, TestClient]]:
    log.append(3001).publish()
    mirror = mirrors(log)
    mirror.sync()
    app = create_mirror_app(mirror.store, LOG_SIGNER.verifier_key(), policy_pinned=False)
    with TestClient(app) as client:
        yield mirror, client


def every_path(size: int) -> list[str]:
    paths = []
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        for index in range(-(-count // TILE_WIDTH)):
            paths.append(tile_path(level, index, min(TILE_WIDTH, count - index * TILE_WIDTH)))
        level += 1
    paths += [entries_path(i, min(TILE_WIDTH, size - i * TILE_WIDTH)) for i in range(12)]
    return paths


def test_serves_the_logs_bytes_and_headers(
    log: FakeLog, mirrored: tuple[Mirror, TestClient]
) -> None:
    _, client = mirrored
    r = client.get("/log/checkpoint")
    assert r.content == log.note
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "credo-witness-quorum" not in r.headers
    assert client.get("/log/vkey").text == LOG_SIGNER.verifier_key() + "\n"
    for path in every_path(3001):
        r = client.get(f"/log/{path}")
        assert r.status_code == 200, path
        assert r.content == log.body(path), path
        assert r.headers["cache-control"] == IMMUTABLE
    # Any narrower partial tile of the tree is a prefix, as the log serves it.
    assert client.get("/log/" + tile_path(0, 11, 7)).content == log.body(tile_path(0, 11, 7))
    assert client.get("/log/" + entries_path(11, 7)).content == log.body(entries_path(11, 7))


def test_nothing_past_the_verified_edge_is_served_even_when_held(
    log: FakeLog, mirrors: Make
) -> None:
    log.append(3001).publish(1000)
    mirror = mirrors(log, chunk=1)
    mirror.sync()
    log.publish()
    log.fail_after = len(log.requests) + 12  # the copy to 3001 stops midway
    with pytest.raises(LogUnavailable):
        mirror.sync()
    assert mirror.store.read_bundle(5)[0] == TILE_WIDTH  # held, not yet verified as a whole
    client = TestClient(create_mirror_app(mirror.store, log.vkey, policy_pinned=True))
    assert client.get("/log/checkpoint").headers["credo-witness-quorum"] == "met"
    for path in (entries_path(5), tile_path(0, 5), entries_path(3, 233), tile_path(1, 0, 4)):
        assert_problem(client.get(f"/log/{path}"), 404, "no_tile")
    assert client.get("/log/" + entries_path(3, 232)).status_code == 200  # 1000 = 3 * 256 + 232
    assert client.get("/log/" + tile_path(1, 0, 3)).status_code == 200
    assert_problem(client.get("/log/tile/0/x000/001"), 400, "bad_input")  # not canonical


def test_before_its_first_checkpoint_the_mirror_serves_none(mirrors: Make, log: FakeLog) -> None:
    mirror = mirrors(log)
    client = TestClient(create_mirror_app(mirror.store, log.vkey, policy_pinned=False))
    assert_problem(client.get("/log/checkpoint"), 404, "no_checkpoint")
    assert_problem(client.get("/log/" + entries_path(0, 1)), 404, "no_tile")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", ["/log/checkpoint", "/log/tile/0/000", "/v1/entries", "/"])
def test_every_write_is_refused_with_405(
    mirrored: tuple[Mirror, TestClient], method: str, path: str
) -> None:
    mirror, client = mirrored
    before = mirror.store.checkpoint()
    r = client.request(method, path, content=b"old 0\n\n")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    if method != "HEAD":
        assert_problem(r, 405, "read_only")
    assert mirror.store.checkpoint() == before


def test_unknown_paths_are_404_problems(mirrored: tuple[Mirror, TestClient]) -> None:
    _, client = mirrored
    assert_problem(client.get("/v1/entries/0"), 404, "not_found")
