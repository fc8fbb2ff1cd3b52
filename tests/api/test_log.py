"""/log tiles that cannot exist are clear 4xx problems, never a store error or a 500
(issue "No stranger or member can break credo for anyone else", finding 1)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from credo.api.routes.log import MAX_TILE_PATH
from credo.tlog import entries_path, tile_path
from tests.api.test_entries import assert_problem, size

# The paths: tile index 2**63, whose first entry is past what SQLite's integers hold.
PAST_2_63 = "x009/x223/x372/x036/x854/x775/808"


@pytest.mark.parametrize("kind", ["0", "entries", "1", "63"])
def test_tile_index_overflow_is_404_not_500(client: TestClient, kind: str) -> None:
    assert_problem(client.get(f"/log/tile/{kind}/{PAST_2_63}"), 404, "no_tile")
    assert_problem(client.get(f"/log/tile/{kind}/{PAST_2_63}.p/1"), 404, "no_tile")


@pytest.mark.parametrize("index", [2**55, 2**63 - 1, 2**64 - 1, 2**64, 10**18])
def test_tile_index_overflow_any_large_index_is_404(client: TestClient, index: int) -> None:
    for path in (tile_path(0, index), entries_path(index), tile_path(2, index, 3)):
        assert_problem(client.get(f"/log/{path}"), 404, "no_tile")


def test_tile_index_overflow_tiles_past_the_tree_edge_are_404(client: TestClient) -> None:
    n = size(client)  # a handful of entries: only partial tiles of width n at level 0
    assert client.get(f"/log/{tile_path(0, 0, n)}").status_code == 200
    assert client.get(f"/log/{entries_path(0, n)}").status_code == 200
    for path in (tile_path(0, 0, n + 1), entries_path(0, n + 1), tile_path(0, 1, 1)):
        assert_problem(client.get(f"/log/{path}"), 404, "no_tile")
    assert_problem(client.get(f"/log/{entries_path(1, 1)}"), 404, "no_tile")
    assert_problem(client.get(f"/log/{tile_path(1, 0, 1)}"), 404, "no_tile")


def test_tile_index_overflow_an_overlong_path_is_400_before_parsing(client: TestClient) -> None:
    longest = entries_path(2**64 - 1, 255)
    assert len(longest) == MAX_TILE_PATH
    assert_problem(client.get(f"/log/{longest}"), 404, "no_tile")
    many_elements = "tile/0/x001/" + "x000/" * 3000 + "000"
    r = client.get(f"/log/{many_elements}")
    assert r.status_code == 400, r.text
    assert str(MAX_TILE_PATH) in r.json()["detail"]
