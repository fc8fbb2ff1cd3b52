"""Times as people read them: the deployment's zone, said on every time; the Buddhist era on
Thai pages and the Gregorian year elsewhere; the export still in RFC 3339 UTC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credo.errors import InputError
from credo.portal import time_zone
from credo.portal.times import buddhist_pattern, local_date, local_datetime, zone_of
from credo.services.node import DataDir
from tests.portal.conftest import World, portal_client, sign_in

BANGKOK = zone_of("Asia/Bangkok")


def test_the_buddhist_year_replaces_the_year_and_the_era_but_not_quoted_text() -> None:
    assert buddhist_pattern("d MMM y", 2026) == "d MMM '2569'"
    assert buddhist_pattern("d MMMM G y", 2026) == "d MMMM 'พ.ศ.' '2569'"
    assert buddhist_pattern("y'y'", 1999) == "'2542''y'"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("th", "2 มี.ค. 2569"),  # 20:00 UTC on 1 March is 03:00 on 2 March in Bangkok
        ("en", "Mar 2, 2026"),
        ("zh_Hans", "2026年3月2日"),
        ("zh_Hant", "2026年3月2日"),
    ],
)
def test_a_date_is_in_the_zone_and_the_reader_s_era(locale: str, expected: str) -> None:
    assert local_date("2026-03-01T20:00:00Z", BANGKOK, locale) == expected


def test_a_calendar_date_does_not_move_and_a_year_end_changes_era_year() -> None:
    assert local_date("2026-03-01", BANGKOK, "th") == "1 มี.ค. 2569"
    assert local_date("2025-12-31T18:00:00Z", BANGKOK, "th", "MMM y") == "ม.ค. 2569"
    assert local_date("2025-12-31T18:00:00Z", zone_of("UTC"), "th", "MMM y") == "ธ.ค. 2568"


def test_every_time_says_its_zone() -> None:
    assert local_datetime("2026-03-01T20:05:00Z", BANGKOK, "th") == "2 มี.ค. 2569 03:05 น. (เวลาไทย)"
    assert local_datetime("2026-03-01T20:05:00Z", BANGKOK, "en").endswith("(Thailand Time)")
    assert local_datetime("2026-03-01T20:05:00Z", zone_of("UTC"), "en") == (
        "Mar 1, 2026, 8:05\u202fPM (UTC)"
    )


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(InputError):
        zone_of("Mars/Olympus_Mons")


def test_the_zone_comes_from_the_server_then_the_consortium_then_utc(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    assert time_zone(root) == "UTC"  # not even a data directory yet
    DataDir(root).config.write_text(json.dumps({"time_zone": "Asia/Bangkok"}))
    assert time_zone(root) == "Asia/Bangkok"
    assert time_zone(root, "Asia/Shanghai") == "Asia/Shanghai"


def test_pages_show_the_zone_and_the_era_and_the_export_stays_utc(world: World) -> None:
    config = DataDir(world.root).read_config()
    DataDir(world.root).config.write_text(json.dumps({**config, "time_zone": "Asia/Bangkok"}))
    try:
        with portal_client(world.root) as client:
            sign_in(client, world.alice.subject)
            client.cookies.set("credo_lang", "th")
            page = client.get(f"/records/{world.alice.records[0]}").text
            assert "1 ม.ค. 2569" in page  # effective 2026-01-01
            assert "(เวลาไทย)" in page  # the recorded-on time says its zone
            client.cookies.set("credo_lang", "en")
            assert "Jan 1, 2026" in client.get(f"/records/{world.alice.records[0]}").text
            export = client.get("/data/export.json").json()
            stamps = [r["effective_at"] for r in export["records"]]
            assert stamps
            assert all(s.endswith("Z") for s in stamps)
    finally:
        DataDir(world.root).config.write_text(json.dumps(config))
