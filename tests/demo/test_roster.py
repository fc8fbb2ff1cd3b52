"""`credo.demo.roster`: who the demo's portal offers to sign in as, picked from the plan and
kept in DIR/demo-people.json, which only a finished demo has."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from credo.demo import ROSTER_FILE, DemoPerson, demo_roster, plan_people
from credo.demo.roster import pick_roster, write_roster
from credo.errors import InputError
from credo.services.node import DataDir, init_consortium


def test_the_readmes_three_come_first_then_the_best_scored_and_each_profile() -> None:
    plan = plan_people(300, 7, time.time())
    scores = {p.national_id: (n, "silver") for n, p in enumerate(plan)}
    roster = pick_roster(plan, scores.get)
    assert [p.national_id for p in roster[:3]] == [p.national_id for p in plan[:3]]
    thai = max((p for p in plan[3:] if p.locale == "th"), key=lambda p: scores[p.national_id])
    assert roster[3].national_id == thai.national_id
    assert roster[3].profile.startswith("the highest score of the Thai names")
    assert len({p.national_id for p in roster}) == len(roster) >= 8
    assert pick_roster(plan, lambda _: None)[3].profile != roster[3].profile  # nobody scored


def test_only_a_finished_demo_has_a_roster(tmp_path: Path) -> None:
    init_consortium(tmp_path / "d", "credo.example/roster").close()
    data = DataDir(tmp_path / "d")
    people = [DemoPerson("TH-1103700012345", "สมชาย ศรีสุข", "th", "a graduate")]
    write_roster(data, people)
    assert demo_roster(data) == []  # not marked a demo in config.json
    data.config.write_text(json.dumps({**data.read_config(), "demo": True}))
    assert demo_roster(data) == people
    (data.root / ROSTER_FILE).write_text('{"people": [{"name": "no id"}]}')
    with pytest.raises(InputError) as bad:
        demo_roster(data)
    assert bad.value.code == "bad_roster"
    assert demo_roster(DataDir(tmp_path / "nothing")) == []
