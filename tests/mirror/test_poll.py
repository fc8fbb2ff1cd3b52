"""Following while serving: a log that cannot be read, or whose checkpoint waits for its
witnesses, is waited out; anything that does not verify stops the follower."""

from __future__ import annotations

import time
from collections.abc import Callable

from credo.errors import CredoError
from credo.mirror.follow import Mirror
from credo.mirror.poll import Follower
from credo.tlog import CosignatureSigner, parse_note, parse_policy
from tests.mirror.conftest import FakeLog, fixed_key

Make = Callable[..., Mirror]


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_waits_for_the_quorum_and_for_the_log_then_follows(log: FakeLog, mirrors: Make) -> None:
    witness = CosignatureSigner("w.test", fixed_key(8))
    policy = parse_policy(f"witness w {witness.verifier_key()}\nquorum w\n")
    log.append(600).publish()
    mirror = mirrors(log, policy=policy)
    fatal: list[CredoError] = []
    follower = Follower(mirror, 0.01, fatal.append)
    follower.start()
    try:
        until(lambda: len(log.requests) > 10)  # it keeps asking: the checkpoint lacks w
        assert mirror.store.checkpoint() is None
        log.note += witness.cosign(parse_note(log.note).text, 1).line().encode()
        until(lambda: mirror.store.verified_size() == 600)
        log.fail_after = len(log.requests)  # the log goes away: the copy stays served
        log.append(100).publish()
        log.note += witness.cosign(parse_note(log.note).text, 2).line().encode()
        time.sleep(0.1)
        assert mirror.store.verified_size() == 600
        log.fail_after = None
        until(lambda: mirror.store.verified_size() == 700)
        assert not fatal
        assert follower.failure is None
    finally:
        follower.stop()


def test_stops_on_what_does_not_verify(log: FakeLog, mirrors: Make) -> None:
    log.append(300).publish()
    mirror = mirrors(log)
    fatal: list[CredoError] = []
    follower = Follower(mirror, 0.01, fatal.append)
    follower.start()
    try:
        until(lambda: mirror.store.verified_size() == 300)
        log.append(10).publish()
        log.overrides["tile/0/001.p/54"] = lambda d: bytes(len(d))
        until(lambda: bool(fatal))
        assert fatal[0].code == "bad_tile"
        assert follower.failure is fatal[0]
        assert mirror.store.verified_size() == 300
    finally:
        follower.stop()
