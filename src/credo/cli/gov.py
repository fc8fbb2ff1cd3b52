"""credo gov propose / vote: governance from the command line (keys from DIR/keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console, member_key
from credo.errors import InputError
from credo.services.node import DataDir, Node
from credo.store import open_store

app = typer.Typer(help="Proposals and votes of the consortium's governance.", no_args_is_help=True)


def _params(action: str, file: Path | None, params: str | None) -> dict[str, object]:
    files = {
        "adopt_rules": ("document", "RULES.json|yaml"),
        "adopt_witness_policy": ("policy", "POLICY"),
    }
    if action in files:
        field, what = files[action]
        if file is None:
            raise InputError(f"{action} needs --file {what}", code="bad_input")
        try:
            return {field: file.read_text()}
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc}", code="bad_input") from exc
    try:
        loaded = json.loads(params or "{}")
    except ValueError as exc:
        raise InputError(f"--params is not JSON: {exc}", code="bad_input") from exc
    if not isinstance(loaded, dict):
        raise InputError("--params must be a JSON object", code="bad_input")
    return loaded


@app.command("propose")
def propose(
    data: DataOption,
    member: Annotated[str, typer.Option(help="Proposing member (its key in DIR/keys)")],
    id: Annotated[str, typer.Option("--id", help="Proposal id")],
    action: Annotated[
        str,
        typer.Option(
            help="admit_member|retire_member|adopt_rules|adopt_mandate|adopt_witness_policy|"
            "update_member_profile|grant_role"
        ),
    ],
    file: Annotated[
        Path | None,
        typer.Option(
            help="The rules document (adopt_rules) or C2SP tlog-policy (adopt_witness_policy)"
        ),
    ] = None,
    params: Annotated[str | None, typer.Option(help="JSON params for other actions")] = None,
    rationale: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Put a proposal on the log."""
    body = {
        "id": id,
        "action": action,
        "params": _params(action, file, params),
        "rationale": rationale,
    }
    ledger = Node(DataDir(data)).start()
    try:
        key = member_key(ledger.store, ledger.data, member)
        accepted = ledger.submit_one("governance.propose", member, body, key=key)
    finally:
        ledger.close()
    console.print(f"proposal {escape(id)} at log index {accepted.index}")


@app.command("vote")
def vote(
    data: DataOption,
    member: Annotated[str, typer.Option(help="Voting member (its key in DIR/keys)")],
    proposal: Annotated[str, typer.Option(help="Proposal id")],
    choice: Annotated[str, typer.Option("--vote", help="yes|no|abstain")] = "yes",
) -> None:
    """Vote on an open proposal; the vote that reaches the quorum adopts it."""
    ledger = Node(DataDir(data)).start()
    try:
        key = member_key(ledger.store, ledger.data, member)
        accepted = ledger.submit_one(
            "governance.vote", member, {"proposal": proposal, "vote": choice}, key=key
        )
        status = ledger.store.get_proposal(proposal)
        informing = [c.id for c in ledger.store.list_consultations() if c.proposal == proposal]
    finally:
        ledger.close()
    console.print(
        f"vote at log index {accepted.index}; proposal is {status.status if status else '?'}"
    )
    if informing:
        console.print(f"informed by public consultation(s): {escape(', '.join(informing))}")


@app.command("show")
def show(
    data: DataOption,
    proposal: Annotated[str, typer.Argument(help="Proposal id")],
) -> None:
    """Show one proposal's record as JSON: its action, status, votes, and the public
    consultations that inform it (their question and whether they are still open)."""
    d = DataDir(data)
    d.read_config()
    store = open_store(d.store_location)
    try:
        found = store.get_proposal(proposal)
        if found is None:
            raise InputError(f"no proposal {proposal!r}", code="unknown_proposal")
        votes = store.list_votes(found.id)
        consultations = [c for c in store.list_consultations() if c.proposal == found.id]
    finally:
        store.close()
    doc = {
        "id": found.id,
        "proposer": found.proposer,
        "action": found.action,
        "status": found.status,
        "proposed_at_index": found.proposed_idx,
        "decided_at_index": found.decided_idx,
        "votes": [{"member": m, "vote": v} for m, v in votes],
        "consultations": [
            {
                "id": c.id,
                "question": json.loads(c.question),
                "closes_at": c.closes_at,
                "closed_at_index": c.closed_idx,
                "convener": c.convener,
            }
            for c in consultations
        ],
    }
    print(json.dumps(doc, indent=2, ensure_ascii=False))
