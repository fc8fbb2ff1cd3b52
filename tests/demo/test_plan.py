"""`credo.demo.plan`: the synthetic people are drawn from a seed, the README's three first."""

from __future__ import annotations

import time

from credo.demo import plan_people


def test_a_seed_gives_the_same_people() -> None:
    end = time.time()
    first = plan_people(50, 7, end)
    again = plan_people(50, 7, end)
    other = plan_people(50, 8, end)
    assert [(p.national_id, p.name, len(p.records)) for p in first] == [
        (p.national_id, p.name, len(p.records)) for p in again
    ]
    assert [p.national_id for p in first[3:]] != [p.national_id for p in other[3:]]
    assert len({p.national_id for p in first}) == 53
