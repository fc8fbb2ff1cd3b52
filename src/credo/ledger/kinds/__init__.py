"""credo's closed set of entry kinds, listed once: body schema, signing roles, transition.

`standard_kinds` is the registry every credo ledger is built with. Adding a kind means a body
model and a transition in one of the modules beside this one, and one line below; anything
not listed is refused before sequencing.
"""

from __future__ import annotations

from credo.ledger.kinds import (
    access,
    consent,
    disputes,
    enrolment,
    governance,
    members,
    records,
)
from credo.ledger.registry import Kind, Registry

ADMIN = frozenset({"admin"})
ISSUER = frozenset({"issuer"})
RECORDER = frozenset({"recorder"})
VOTER = frozenset({"voter"})


def standard_kinds() -> Registry:
    """Every kind credo knows. The person-facing kinds are signed by the operator (``admin``)
    acting for the person as consent manager and access recorder."""
    return Registry(
        [
            Kind(
                "genesis",
                members.Genesis,
                ADMIN,
                members.apply_genesis,
                "a log's first entry: its origin, its key and its operator (an admin)",
            ),
            Kind(
                "member.admit",
                members.MemberAdmit,
                ADMIN,
                members.apply_admit,
                "admit a member organization with its key and roles",
            ),
            Kind(
                "member.rotate_key",
                members.MemberRotateKey,
                ADMIN,
                members.apply_rotate_key,
                "replace a member's key (an admin, or the member itself)",
            ),
            Kind(
                "member.retire",
                members.MemberRetire,
                ADMIN,
                members.apply_retire,
                "retire a member: its signatures are refused from then on",
            ),
            Kind(
                "attestation.issue",
                members.AttestationIssue,
                ISSUER,
                members.apply_issue,
                "attest a document by its SHA-256 digest",
            ),
            Kind(
                "attestation.revoke",
                members.AttestationRevoke,
                ISSUER,
                members.apply_revoke,
                "revoke an attestation the same issuer made",
            ),
            Kind(
                "governance.propose",
                governance.Propose,
                VOTER | ADMIN,
                governance.apply_propose,
                "propose an action: admit or retire a member, adopt rules or a mandate",
            ),
            Kind(
                "governance.vote",
                governance.Vote,
                VOTER,
                governance.apply_vote,
                "vote on a proposal; the vote that reaches the quorum adopts it",
            ),
            Kind(
                "record.put",
                records.RecordPut,
                RECORDER,
                records.apply_put,
                "a record about a person: metadata and a commitment, the payload in the vault",
            ),
            Kind(
                "record.amend",
                records.RecordAmend,
                RECORDER,
                records.apply_amend,
                "the submitting member amends its record",
            ),
            Kind(
                "record.retract",
                records.RecordRetract,
                RECORDER,
                records.apply_retract,
                "the submitting member retracts its record",
            ),
            Kind(
                "subject.erase",
                records.SubjectErase,
                ADMIN,
                records.apply_erase,
                "a person was forgotten: their keys are destroyed",
            ),
            Kind(
                "consent.grant",
                consent.ConsentGrant,
                ADMIN,
                consent.apply_grant,
                "a person's consent for one member, purpose, categories and period",
            ),
            Kind(
                "consent.revoke",
                consent.ConsentRevoke,
                ADMIN,
                consent.apply_revoke,
                "a person revoked a consent",
            ),
            Kind(
                "mandate.adopt",
                consent.MandateSpec,
                ADMIN,
                consent.apply_mandate_adopt,
                "a legal mandate for members or sectors to read categories for a purpose",
            ),
            Kind(
                "mandate.repeal",
                consent.MandateRepeal,
                ADMIN,
                consent.apply_mandate_repeal,
                "repeal a mandate",
            ),
            Kind(
                "access.read",
                access.AccessRead,
                ADMIN,
                access.apply_read,
                "a member's read of a person's records, granted or refused, and why",
            ),
            Kind(
                "programme.enrol",
                enrolment.Enrol,
                ADMIN,
                enrolment.apply_enrol,
                "a person opted in to the credit programme",
            ),
            Kind(
                "programme.withdraw",
                enrolment.Withdraw,
                ADMIN,
                enrolment.apply_withdraw,
                "a person left the programme: score and history deleted",
            ),
            Kind(
                "benefit.check",
                enrolment.BenefitCheck,
                ADMIN,
                enrolment.apply_benefit_check,
                "a provider asked whether a person is eligible for a benefit",
            ),
            Kind(
                "dispute.open",
                disputes.DisputeOpen,
                ADMIN,
                disputes.apply_open,
                "a person contests a record; it is not scored until answered",
            ),
            Kind(
                "dispute.answer",
                disputes.DisputeAnswer,
                RECORDER,
                disputes.apply_answer,
                "the record's submitting member answers a dispute",
            ),
            Kind(
                "dispute.expire",
                disputes.DisputeExpire,
                ADMIN,
                disputes.apply_expire,
                "an unanswered dispute ran out: resolved in the person's favour",
            ),
        ]
    )


__all__ = ["standard_kinds"]
