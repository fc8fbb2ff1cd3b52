"""Governance on the log: proposals, votes, and adoption at the quorum the genesis set.

Adopting a rules document, admitting or retiring a member, adopting an access mandate and
adopting the witness policy (C2SP tlog-policy: which witnesses cosign checkpoints, and the
quorum clients require) are all proposals that take effect in the state transition of the
vote that reaches the quorum, so a replay of the log adopts exactly what the consortium
adopted.

Two kinds of check: an action's state checks (is the member still there?) run on every
apply, replays included, and a proposal they fail at adoption closes as failed; its policy
checks (is this rules document acceptable?) run only on new entries, through the ledger's
`Policy` (the ledger does not know what a scorecard is). A proposal or a deciding vote that
fails today's policy is refused; an adoption already on the log stays valid under the checks
it was adopted with, so tightening them never makes `credo verify` fail an honest log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from credo.errors import EntryRejected, InputError, RulesRejected
from credo.ledger.kinds.consent import MandateSpec, adopt_mandate, check_mandate
from credo.ledger.kinds.members import (
    MemberProfileParams,
    MemberSpec,
    admit,
    retire,
    set_profile,
)
from credo.ledger.registry import Context, Policy, first_error
from credo.ledger.schema import ROLES, Body, ShortText, as_model
from credo.ledger.validate import Decoded
from credo.store import MemberRow, ProposalRow, RulesRow, WriteTx
from credo.tlog import parse_policy

ProposalId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
Action = Literal[
    "admit_member",
    "retire_member",
    "adopt_rules",
    "adopt_mandate",
    "adopt_witness_policy",
    "update_member_profile",
    "grant_role",
]
WITNESS_POLICY_META = "witness_policy"
"""The meta key of the adopted witness policy's text (C2SP tlog-policy); absent if none."""


class Propose(Body):
    id: ProposalId
    action: Action
    params: dict[str, Any]
    rationale: Annotated[str, Field(max_length=1000)] = ""


class Vote(Body):
    proposal: ProposalId
    vote: Literal["yes", "no", "abstain"]


class RetireParams(Body):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    reason: ShortText


class GrantRoleParams(Body):
    """Give an admitted member one more role (say ``convener``): roles are otherwise fixed at
    admission, and only the consortium as a whole may widen what a member may sign."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
    role: Literal[ROLES]  # type: ignore[valid-type]


class RulesParams(Body):
    document: Annotated[str, Field(min_length=2, max_length=12_000)]


class WitnessPolicyParams(Body):
    policy: Annotated[str, Field(min_length=1, max_length=64_000)]


def _no_policy(params: BaseModel, policy: Policy) -> None:
    del params, policy


@dataclass(frozen=True)
class ActionSpec:
    """How an action's params are checked (state, then policy) and applied when adopted."""

    params: type[BaseModel]
    check: Callable[[WriteTx, BaseModel], None]
    apply: Callable[[WriteTx, int, BaseModel, ProposalRow], None]
    vet: Callable[[BaseModel, Policy], None] = _no_policy


def _check_admit(tx: WriteTx, params: BaseModel) -> None:
    params = as_model(params, MemberSpec)
    if tx.get_member(params.id) is not None:
        raise EntryRejected(f"member {params.id!r} already exists", code="member_exists")


def _apply_admit(tx: WriteTx, index: int, params: BaseModel, _: ProposalRow) -> None:
    params = as_model(params, MemberSpec)
    admit(tx, index, params)


def _check_retire(tx: WriteTx, params: BaseModel) -> None:
    params = as_model(params, RetireParams)
    member = tx.get_member(params.id)
    if member is None or member.status != "active":
        raise EntryRejected(f"no active member {params.id!r}", code="unknown_member")


def _apply_retire(tx: WriteTx, index: int, params: BaseModel, _: ProposalRow) -> None:
    params = as_model(params, RetireParams)
    retire(tx, params.id, by="governance")


def _check_grant_role(tx: WriteTx, params: BaseModel) -> None:
    params = as_model(params, GrantRoleParams)
    member = tx.get_member(params.id)
    if member is None or member.status != "active":
        raise EntryRejected(f"no active member {params.id!r}", code="unknown_member")
    if params.role in member.roles:
        raise EntryRejected(f"{params.id!r} already holds {params.role!r}", code="role_held")


def _apply_grant_role(tx: WriteTx, index: int, params: BaseModel, _: ProposalRow) -> None:
    params = as_model(params, GrantRoleParams)
    member = tx.get_member(params.id)
    if member is None:  # _check_grant_role ran first; a replay of a bad log says so
        raise EntryRejected(f"no member {params.id!r}", code="unknown_member")
    tx.put_member(replace(member, roles=(*member.roles, params.role)))
    tx.bump_state_version()


def _check_nothing(tx: WriteTx, params: BaseModel) -> None:
    del tx, params


def _vet_rules(params: BaseModel, policy: Policy) -> None:
    params = as_model(params, RulesParams)
    try:
        policy.vet_rules(params.document.encode())
    except RulesRejected as exc:
        raise EntryRejected(f"rules document refused: {exc.message}", code=exc.code) from exc


def _apply_rules(tx: WriteTx, index: int, params: BaseModel, proposal: ProposalRow) -> None:
    """Store the adopted document under its identity, the SHA-256 of its exact bytes."""
    params = as_model(params, RulesParams)
    document = params.document.encode()
    tx.add_rules(RulesRow(index, hashlib.sha256(document).hexdigest(), document, proposal.id))


def _check_witness_policy(tx: WriteTx, params: BaseModel) -> None:
    """A C2SP tlog-policy the log can act on: it parses strictly, any ``log`` line is this
    log (its genesis key, whose name is the origin), and every witness has a URL to send
    checkpoints to. Deterministic, so a replay judges it as the log did."""
    params = as_model(params, WitnessPolicyParams)
    try:
        policy = parse_policy(params.policy)
    except InputError as exc:
        raise EntryRejected(f"witness policy: {exc.message}", code="bad_witness_policy") from exc
    log_key = tx.get_meta("log_key")
    for log in policy.logs:
        if log.verifier.verifier_key() != log_key:
            raise EntryRejected(
                f"witness policy: the log line {log.verifier.verifier_key()!r} is not this "
                f"log's key {log_key!r}",
                code="bad_witness_policy",
            )
    for witness in policy.witnesses.values():
        if witness.url is None or not witness.url.startswith(("http://", "https://")):
            raise EntryRejected(
                f"witness policy: witness {witness.name!r} needs an http(s) URL, where the "
                "log submits its checkpoints",
                code="bad_witness_policy",
            )


def _apply_witness_policy(tx: WriteTx, index: int, params: BaseModel, _: ProposalRow) -> None:
    params = as_model(params, WitnessPolicyParams)
    tx.set_meta(WITNESS_POLICY_META, params.policy)


def _check_profile(tx: WriteTx, params: BaseModel) -> None:
    params = as_model(params, MemberProfileParams)
    if tx.get_member(params.id) is None:
        raise EntryRejected(f"no member {params.id!r}", code="unknown_member")


def _apply_profile(tx: WriteTx, index: int, params: BaseModel, _: ProposalRow) -> None:
    params = as_model(params, MemberProfileParams)
    set_profile(tx, params.id, dict(params.names), params.contact)


ACTIONS: dict[str, ActionSpec] = {
    "admit_member": ActionSpec(MemberSpec, _check_admit, _apply_admit),
    "retire_member": ActionSpec(RetireParams, _check_retire, _apply_retire),
    "adopt_rules": ActionSpec(RulesParams, _check_nothing, _apply_rules, _vet_rules),
    "adopt_mandate": ActionSpec(MandateSpec, check_mandate, adopt_mandate),
    "adopt_witness_policy": ActionSpec(
        WitnessPolicyParams, _check_witness_policy, _apply_witness_policy
    ),
    "update_member_profile": ActionSpec(MemberProfileParams, _check_profile, _apply_profile),
    "grant_role": ActionSpec(GrantRoleParams, _check_grant_role, _apply_grant_role),
}


def _params(action: str, raw: dict[str, Any]) -> tuple[ActionSpec, BaseModel]:
    spec = ACTIONS.get(action)
    if spec is None:
        raise EntryRejected(f"action {action!r} is not available", code="unknown_action")
    try:
        return spec, spec.params.model_validate(raw)
    except ValidationError as exc:
        raise EntryRejected(f"{action} params: {first_error(exc)}", code="schema") from exc


def apply_propose(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = Propose.model_validate(entry.body)
    if tx.get_proposal(body.id) is not None:
        raise EntryRejected(f"proposal {body.id!r} already exists", code="proposal_exists")
    spec, params = _params(body.action, body.params)
    spec.check(tx, params)
    if ctx.policy is not None:
        spec.vet(params, ctx.policy)
    tx.put_proposal(ProposalRow(body.id, signer.id, body.action, body.params, "open", index, None))


def quorum(tx: WriteTx) -> tuple[int, int]:
    num, den = json.loads(tx.get_meta("quorum") or "[2, 3]")
    return int(num), int(den)


def voters(tx: WriteTx, proposal_votes: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(voting members, yes, no): only votes of members who still hold a voting seat count."""
    seats = {m.id for m in _active_voters(tx)}
    yes = sum(1 for m, v in proposal_votes if v == "yes" and m in seats)
    no = sum(1 for m, v in proposal_votes if v == "no" and m in seats)
    return len(seats), yes, no


def _active_voters(tx: WriteTx) -> list[MemberRow]:
    return [m for m in tx.list_members() if m.status == "active" and "voter" in m.roles]


def apply_vote(tx: WriteTx, index: int, entry: Decoded, signer: MemberRow, ctx: Context) -> None:
    body = Vote.model_validate(entry.body)
    proposal = tx.get_proposal(body.proposal)
    if proposal is None:
        raise EntryRejected(f"no proposal {body.proposal!r}", code="unknown_proposal")
    if proposal.status != "open":
        raise EntryRejected(
            f"proposal {proposal.id!r} is {proposal.status}", code="proposal_closed"
        )
    cast = tx.list_votes(proposal.id)
    if any(m == signer.id for m, _ in cast):
        raise EntryRejected(
            f"{signer.id!r} has already voted on {proposal.id!r}", code="already_voted"
        )
    seats, yes, no = voters(tx, [*cast, (signer.id, body.vote)])
    num, den = quorum(tx)
    if yes * den >= num * seats:
        _adopt(tx, index, proposal, signer, body.vote, ctx.policy)
        return
    tx.put_vote(proposal.id, signer.id, body.vote, index)
    if no * den > (den - num) * seats:
        _close(tx, proposal, "rejected", index)


def _adopt(
    tx: WriteTx,
    index: int,
    proposal: ProposalRow,
    signer: MemberRow,
    vote: str,
    policy: Policy | None,
) -> None:
    """The deciding vote: check the action against the state, then against today's policy
    (a new entry only), then write the vote and the action's effects."""
    spec, params = _params(proposal.action, proposal.params)
    try:
        spec.check(tx, params)
    except EntryRejected as exc:
        # The world changed since the proposal (say, the member was admitted directly);
        # the vote still counts and the proposal closes as failed, with the reason.
        tx.put_vote(proposal.id, signer.id, vote, index)
        _close(tx, proposal, f"failed:{exc.code}", index)
        return
    if policy is not None:
        # The checks in force now refuse what was proposed under earlier ones: the deciding
        # vote itself is refused, before anything is written; the proposal stays open.
        spec.vet(params, policy)
    tx.put_vote(proposal.id, signer.id, vote, index)
    spec.apply(tx, index, params, proposal)
    _close(tx, proposal, "adopted", index)


def _close(tx: WriteTx, proposal: ProposalRow, status: str, index: int) -> None:
    tx.put_proposal(replace(proposal, status=status, decided_idx=index))
