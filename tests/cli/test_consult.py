"""credo consult and credo gov show: governance grants the convener role, a consultation is
opened for a proposal, the proposal's record shows it, and bad input fails cleanly."""

from __future__ import annotations

import json
from pathlib import Path

from credo.services.node import DataDir, Node, admit_member
from tests.cli.test_cli import assert_clean_failure, credo


def _grant_convener(data_dir: Path) -> None:
    node = Node(DataDir(data_dir)).start()
    try:
        admit_member(node, "council", "City Council", "government", ["recorder"])
        body = {
            "id": "council-convenes",
            "action": "grant_role",
            "params": {"id": "council", "role": "convener"},
        }
        node.submit_one("governance.propose", "operator", body)
        for voter in ("operator", "watch"):
            node.submit_one(
                "governance.vote", voter, {"proposal": "council-convenes", "vote": "yes"}
            )
        council = node.store.get_member("council")
        assert council is not None
        assert "convener" in council.roles
        node.submit_one(
            "governance.propose",
            "operator",
            {
                "id": "retire-uni",
                "action": "retire_member",
                "params": {"id": "uni", "reason": "left"},
            },
        )
    finally:
        node.close()


def test_a_convener_opens_a_consultation_the_proposal_record_shows(data_dir: Path) -> None:
    d = ["--data", str(data_dir)]
    refused = credo(
        "consult",
        "open",
        *d,
        "--member",
        "watch",
        "--id",
        "too-early",
        "--question",
        '{"en": "Why?"}',
        "--closes-at",
        "2099-01-01T00:00:00Z",
    )
    assert_clean_failure(refused, "role")
    _grant_convener(data_dir)
    done = credo(
        "consult",
        "open",
        *d,
        "--member",
        "council",
        "--id",
        "leave-uni",
        "--question",
        '{"en": "Should the university leave?", "th": "มหาวิทยาลัยควรออกหรือไม่"}',
        "--closes-at",
        "2099-01-01T00:00:00Z",
        "--proposal",
        "retire-uni",
        "--moderator",
        "watch",
    )
    assert done.returncode == 0, done.stderr
    shown = credo("gov", "show", *d, "retire-uni")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert [c["id"] for c in record["consultations"]] == ["leave-uni"]
    assert record["consultations"][0]["question"]["th"] == "มหาวิทยาลัยควรออกหรือไม่"
    queue = credo("consult", "queue", *d, "--member", "watch", "--id", "leave-uni")
    assert json.loads(queue.stdout) == []
    bad = credo(
        "consult",
        "moderate",
        *d,
        "--member",
        "watch",
        "--id",
        "leave-uni",
        "--item",
        "0" * 32,
        "--decision",
        "reject",
        "--reason",
        "because",
    )
    assert_clean_failure(bad)
    not_json = credo(
        "consult",
        "open",
        *d,
        "--member",
        "council",
        "--id",
        "x-y-z",
        "--question",
        "not json",
        "--closes-at",
        "2099-01-01T00:00:00Z",
    )
    assert_clean_failure(not_json, "--question")
