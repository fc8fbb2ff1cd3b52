"""credo's closed set of entry kinds, listed once: body schema, signing roles, transition.

`standard_kinds` is the registry every credo ledger is built with. Adding a kind means a body
model and a transition in one of the modules beside this one, and one line below; anything
not listed is refused before sequencing.
"""

from __future__ import annotations

from typing import Any

from credo.ledger import personal
from credo.ledger.kinds import (
    access,
    accounts,
    consent,
    consultations,
    disputes,
    enrolment,
    governance,
    members,
    records,
)
from credo.ledger.registry import Handler, Kind, Registry
from credo.ledger.schema import ROLES, Body

ADMIN = frozenset({"admin"})
ISSUER = frozenset({"issuer"})
RECORDER = frozenset({"recorder"})
VOTER = frozenset({"voter"})
CONVENER = frozenset({"convener"})
ANY_MEMBER = frozenset(ROLES)
"""For kinds whose transition decides who may sign (a consultation's named moderators)."""


_KINDS: list[tuple[str, type[Body], frozenset[str], Handler, str]] = [
    (
        "genesis",
        members.Genesis,
        ADMIN,
        members.apply_genesis,
        "a log's first entry: its origin, its key and its operator (an admin)",
    ),
    (
        "member.admit",
        members.MemberAdmit,
        ADMIN,
        members.apply_admit,
        "admit a member organization with its key and roles",
    ),
    (
        "member.rotate_key",
        members.MemberRotateKey,
        ADMIN,
        members.apply_rotate_key,
        "replace a member's key (an admin, or the member itself)",
    ),
    (
        "member.retire",
        members.MemberRetire,
        ADMIN,
        members.apply_retire,
        "retire a member: its signatures are refused from then on",
    ),
    (
        "attestation.issue",
        members.AttestationIssue,
        ISSUER,
        members.apply_issue,
        "attest a document by its SHA-256 digest",
    ),
    (
        "attestation.revoke",
        members.AttestationRevoke,
        ISSUER,
        members.apply_revoke,
        "revoke an attestation the same issuer made",
    ),
    (
        "governance.propose",
        governance.Propose,
        VOTER | ADMIN,
        governance.apply_propose,
        "propose an action: admit or retire a member, adopt rules or a mandate",
    ),
    (
        "governance.vote",
        governance.Vote,
        VOTER,
        governance.apply_vote,
        "vote on a proposal; the vote that reaches the quorum adopts it",
    ),
    (
        "record.put",
        personal.PersonalBody,
        RECORDER,
        records.apply_put,
        "a record about a person: metadata and a commitment, the payload in the vault",
    ),
    (
        "record.amend",
        personal.PersonalBody,
        RECORDER,
        records.apply_amend,
        "the submitting member amends its record",
    ),
    (
        "record.retract",
        personal.PersonalBody,
        RECORDER,
        records.apply_retract,
        "the submitting member retracts its record",
    ),
    (
        "subject.erase",
        personal.TagOnly,
        ADMIN,
        records.apply_erase,
        "a person was forgotten: their keys are destroyed",
    ),
    (
        "consent.grant",
        personal.PersonalBody,
        ADMIN,
        consent.apply_grant,
        "a person's consent for one member, purpose, categories and period",
    ),
    (
        "consent.revoke",
        personal.PersonalBody,
        ADMIN,
        consent.apply_revoke,
        "a person revoked a consent",
    ),
    (
        "mandate.adopt",
        consent.MandateSpec,
        ADMIN,
        consent.apply_mandate_adopt,
        "a legal mandate for members or sectors to read categories for a purpose",
    ),
    (
        "mandate.repeal",
        consent.MandateRepeal,
        ADMIN,
        consent.apply_mandate_repeal,
        "repeal a mandate",
    ),
    (
        "access.read",
        personal.PersonalBody,
        ADMIN,
        access.apply_read,
        "a member's read of a person's records, granted or refused, and why",
    ),
    (
        "programme.enrol",
        personal.PersonalBody,
        ADMIN,
        enrolment.apply_enrol,
        "a person opted in to the credit programme",
    ),
    (
        "programme.withdraw",
        personal.PersonalBody,
        ADMIN,
        enrolment.apply_withdraw,
        "a person left the programme: score and history deleted",
    ),
    (
        "benefit.check",
        personal.PersonalBody,
        ADMIN,
        enrolment.apply_benefit_check,
        "a provider asked whether a person is eligible for a benefit",
    ),
    (
        "dispute.open",
        personal.PersonalBody,
        ADMIN,
        disputes.apply_open,
        "a person contests a record; it is not scored until answered",
    ),
    (
        "dispute.answer",
        personal.PersonalBody,
        RECORDER,
        disputes.apply_answer,
        "the record's submitting member answers a dispute",
    ),
    (
        "dispute.expire",
        personal.PersonalBody,
        ADMIN,
        disputes.apply_expire,
        "an unanswered dispute ran out: resolved in the person's favour",
    ),
    (
        "account.code",
        personal.PersonalBody,
        ADMIN,
        accounts.apply_code,
        "a member issued a person's enrolment or recovery code for the portal",
    ),
    (
        "account.device",
        personal.PersonalBody,
        ADMIN,
        accounts.apply_device,
        "a person refused a new passkey or objected to a recovery; a review's outcome",
    ),
    (
        "consultation.open",
        consultations.Open,
        CONVENER,
        consultations.apply_open,
        "a convener opens a public consultation: the question, its window and moderation",
    ),
    (
        "consultation.close",
        consultations.Close,
        CONVENER,
        consultations.apply_close,
        "the convener closes a consultation before its closing time",
    ),
    (
        "consultation.moderate",
        consultations.Moderate,
        ANY_MEMBER,
        consultations.apply_moderate,
        "a consultation's moderator accepts or rejects a statement or translation, with a reason",
    ),
    (
        "consultation.translation",
        consultations.ModeratorTranslation,
        ANY_MEMBER,
        consultations.apply_moderator_translation,
        "a consultation's moderator translates a statement",
    ),
    (
        "consultation.result",
        consultations.Result,
        CONVENER | ADMIN,
        consultations.apply_result,
        "a consultation's result published: algorithm, parameters, seed, matrix and result hashes",
    ),
    (
        "consultation.import",
        consultations.Import,
        CONVENER,
        consultations.apply_import,
        "a conversation held elsewhere (Pol.is) brought in, closed, by its documents' hashes",
    ),
    (
        "consultation.statement",
        personal.PersonalBody,
        ADMIN,
        consultations.apply_statement,
        "a person's statement in a consultation (a political opinion, sealed)",
    ),
    (
        "consultation.vote",
        personal.PersonalBody,
        ADMIN,
        consultations.apply_vote,
        "a person's vote on a statement, changed or withdrawn (a political opinion, sealed)",
    ),
    (
        "consultation.flag",
        personal.PersonalBody,
        ADMIN,
        consultations.apply_flag,
        "a person flags a statement as spam, off-topic or abusive",
    ),
    (
        "consultation.translate",
        personal.PersonalBody,
        ADMIN,
        consultations.apply_translate,
        "a person proposes a translation of a statement",
    ),
]


SEALED: dict[str, type[personal.Meta]] = {
    "record.put": records.RecordPutMeta,
    "record.amend": records.RecordAmendMeta,
    "record.retract": records.RecordRetractMeta,
    "consent.grant": consent.ConsentGrantMeta,
    "consent.revoke": consent.ConsentRevokeMeta,
    "access.read": access.AccessReadMeta,
    "programme.enrol": enrolment.Enrol,
    "programme.withdraw": enrolment.Withdraw,
    "benefit.check": enrolment.BenefitCheck,
    "dispute.open": disputes.DisputeOpen,
    "dispute.answer": disputes.DisputeAnswer,
    "dispute.expire": disputes.DisputeExpire,
    "account.code": accounts.CodeIssued,
    "account.device": accounts.DeviceEvent,
    "consultation.statement": consultations.StatementMeta,
    "consultation.vote": consultations.VoteMeta,
    "consultation.flag": consultations.FlagMeta,
    "consultation.translate": consultations.TranslateMeta,
}
"""The metadata each personal kind seals (`credo.ledger.personal`); ``subject.erase`` seals
nothing, and every kind not named here is the consortium's own, in clear."""

PERSONAL_KINDS = frozenset({*SEALED, "subject.erase"})


def standard_kinds() -> Registry:
    """Every kind credo knows. The person-facing kinds are signed by the operator (``admin``)
    acting for the person as consent manager and access recorder."""
    return Registry(
        Kind(
            name,
            body,
            roles,
            apply,
            summary,
            EXAMPLES.get(name) or _personal_example(name),
            SEALED.get(name),
            SEALED_EXAMPLES.get(name),
        )
        for name, body, roles, apply, summary in _KINDS
    )


def _personal_example(kind: str) -> dict[str, Any]:
    if kind == "subject.erase":
        return {"tag": TAG}
    return {"tag": TAG, "sealed": "AQ" + "A" * 86 + "==", "commitment": "9f" * 32}


H = "0123456789abcdef" * 2  # 32 hex characters: a record, consent or dispute id
TAG = "x" * 59  # a blinded tag: 59 base64url characters
DIGEST = "sha256:" + "ab" * 32
KEY = "A" * 43 + "="  # a base64 Ed25519 public key (32 bytes)
AT = "2026-01-31T12:00:00Z"

EXAMPLES: dict[str, dict[str, Any]] = {
    "genesis": {
        "origin": "credo.example/log",
        "log_key": "credo.example/log+3f0a1b2c+AQ" + "A" * 42,
        "operator": {
            "id": "operator",
            "name": "Consortium operator",
            "sector": "operator",
            "public_key": KEY,
            "roles": ["admin", "issuer", "voter"],
        },
    },
    "member.admit": {
        "id": "first-bank",
        "name": "First Bank",
        "sector": "bank",
        "public_key": KEY,
        "roles": ["recorder", "reader", "provider"],
    },
    "member.rotate_key": {"id": "first-bank", "public_key": KEY},
    "member.retire": {"id": "first-bank", "reason": "left the consortium"},
    "attestation.issue": {"digest": DIGEST, "doc_type": "diploma", "note": "BSc, class of 2025"},
    "attestation.revoke": {"digest": DIGEST, "reason": "issued in error"},
    "governance.propose": {
        "id": "retire-first-bank",
        "action": "retire_member",
        "params": {"id": "first-bank", "reason": "left the consortium"},
        "rationale": "the bank asked to leave",
    },
    "governance.vote": {"proposal": "retire-first-bank", "vote": "yes"},
    "mandate.adopt": {
        "id": "tax-audit-2026",
        "purpose": "tax_audit",
        "categories": ["finance"],
        "sectors": ["government"],
        "legal_reference": "Revenue Code s. 12",
        "valid_from": AT,
    },
    "mandate.repeal": {"id": "tax-audit-2026", "reason": "superseded"},
    "consultation.open": {
        "id": "bike-lanes-2027",
        "question": {"en": "How should the city share its streets?", "th": "เมืองควรแบ่งถนนอย่างไร"},
        "description": {"en": "Informs the rules proposal on mobility records."},
        "opens_at": AT,
        "closes_at": "2026-03-01T00:00:00Z",
        "moderation": "post",
        "proposal": "rules-2027",
        "moderators": ["watch"],
    },
    "consultation.close": {"id": "bike-lanes-2027", "reason": "ended"},
    "consultation.result": {
        "consultation": "bike-lanes-2027",
        "algorithm": "credo.consultation",
        "version": "1",
        "params": {"seed": 0},
        "seed": 0,
        "matrix": "ab" * 32,
        "result": "cd" * 32,
        "votes_through": 0,
    },
    "consultation.import": {
        "id": "vtaiwan-uberx",
        "question": {"zh-Hant": "UberX 自用車載客"},
        "source": "polis",
        "source_url": "https://pol.is/3phdex2kjf",
        "licence": "CC BY 4.0",
        "conversation": "ef" * 32,
        "matrix": "ab" * 32,
        "statements": 197,
        "participants": 1921,
        "votes": 39000,
        "opens_at": AT,
        "closes_at": "2026-03-01T00:00:00Z",
    },
    "consultation.moderate": {
        "consultation": "bike-lanes-2027",
        "item": H,
        "decision": "reject",
        "reason": "off_topic",
    },
    "consultation.translation": {
        "consultation": "bike-lanes-2027",
        "statement": H,
        "id": "fedcba9876543210" * 2,
        "lang": "th",
        "text": "ถนนควรปลอดภัยสำหรับทุกคน",
    },
}
"""A valid body of each consortium kind (the schema's example in `GET /v1/kinds`); personal
kinds' bodies are all alike (`_personal_example`). A test checks each."""

SEALED_EXAMPLES: dict[str, dict[str, Any]] = {
    "record.put": {
        "record_id": H,
        "category": "finance",
        "type": "loan.repaid",
        "effective_at": AT,
        "commitment": "cd" * 32,
        "vault_key": H,
    },
    "record.amend": {
        "record_id": H,
        "type": "loan.repaid",
        "effective_at": AT,
        "commitment": "ef" * 32,
        "vault_key": H,
    },
    "record.retract": {"record_id": H, "reason": "entered_in_error"},
    "consent.grant": {
        "id": H,
        "member": "first-bank",
        "purpose": "credit_assessment",
        "categories": ["finance"],
        "valid_from": AT,
        "valid_until": "2027-01-31T12:00:00Z",
    },
    "consent.revoke": {"id": H, "reason": "revoked_by_person"},
    "access.read": {
        "member": "first-bank",
        "purpose": "credit_assessment",
        "basis": {"type": "consent", "id": H},
        "categories_requested": ["finance"],
        "categories_granted": ["finance"],
        "outcome": "granted",
        "reason": "ok",
        "record_ids": [H],
        "request_digest": DIGEST,
    },
    "programme.enrol": {},
    "programme.withdraw": {},
    "benefit.check": {
        "member": "citybikes",
        "benefit": "bike-deposit-free",
        "context": "mobility",
        "outcome": "answered",
        "reason": "ok",
        "request_digest": DIGEST,
    },
    "dispute.open": {"id": H, "record_id": H, "statement": "12" * 32},
    "dispute.answer": {"id": H, "outcome": "amended", "evidence": "the amount was corrected"},
    "dispute.expire": {"id": H},
    "account.code": {
        "member": "registry",
        "code": "enrolment",
        "code_id": H,
        "expires_at": AT,
    },
    "account.device": {"event": "refused", "code_id": H},
    "consultation.statement": {
        "consultation": "bike-lanes-2027",
        "participant": H,
        "id": H,
        "lang": "en",
        "text": "Streets should be safe for everyone.",
    },
    "consultation.vote": {
        "consultation": "bike-lanes-2027",
        "participant": H,
        "statement": H,
        "vote": "agree",
        "shown": "th",
    },
    "consultation.flag": {
        "consultation": "bike-lanes-2027",
        "participant": H,
        "statement": H,
        "reason": "spam",
    },
    "consultation.translate": {
        "consultation": "bike-lanes-2027",
        "participant": H,
        "statement": H,
        "id": "fedcba9876543210" * 2,
        "lang": "zh-Hant",
        "text": "街道應該對每個人都安全。",
    },
}
"""Valid sealed metadata of each personal kind, without the salt the vault adds."""


__all__ = ["EXAMPLES", "PERSONAL_KINDS", "SEALED", "SEALED_EXAMPLES", "standard_kinds"]
