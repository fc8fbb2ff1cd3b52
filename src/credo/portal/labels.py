"""Plain words for the codes the ledger speaks in: categories, record types, purposes,
sectors, outcomes, reasons, entry kinds, tiers and statuses.

Each label is an English message marked with ``N_`` so that Babel extracts it into the
catalogs; the templates translate it when they show it (the ``label`` filter). A code with no
label is shown as itself, never hidden: the page must not lie by omission.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


LABELS: dict[str, dict[str, str]] = {
    "category": {
        "finance": N_("Money and credit"),
        "utilities": N_("Utility bills"),
        "mobility": N_("Transport"),
        "education": N_("Education"),
        "civic": N_("Civic life"),
        "health": N_("Health"),
        "identity": N_("Identity"),
    },
    "type": {
        "account.opened": N_("Account opened"),
        "bill.paid_on_time": N_("Bill paid on time"),
        "loan.opened": N_("Loan taken out"),
        "loan.repaid": N_("Loan repaid"),
        "savings.deposit": N_("Savings deposit"),
        "contract.ended": N_("Contract ended"),
        "contract.started": N_("Contract started"),
        "bike.returned_on_time": N_("Bike returned on time"),
        "ride.completed": N_("Ride completed"),
        "vehicle.purchased": N_("Vehicle bought"),
        "vehicle.serviced": N_("Vehicle serviced"),
        "course.completed": N_("Course completed"),
        "degree.awarded": N_("Degree awarded"),
        "enrolment.started": N_("Studies started"),
        "address.registered": N_("Address registered"),
        "benefit.received": N_("Public benefit received"),
        "library.returned": N_("Library book returned"),
        "volunteering.completed": N_("Volunteering completed"),
        "prescription.issued": N_("Prescription issued"),
        "treatment.started": N_("Treatment started"),
        "vaccination.given": N_("Vaccination given"),
        "visit.completed": N_("Medical visit"),
        "identity.registered": N_("Name registered"),
    },
    "purpose": {
        "credit_programme": N_("Computing your civic credit score"),
        "credit_assessment": N_("Assessing an application for credit"),
        "service_provision": N_("Providing a service you asked for"),
        "healthcare": N_("Treating you"),
        "benefit_eligibility": N_("Deciding on a public benefit"),
        "legal_obligation": N_("Complying with a law"),
        "dispute_resolution": N_("Answering your dispute"),
        "research": N_("Statistical research"),
        "subject_access": N_("Giving you your own data, as you asked"),
    },
    "sector": {
        "operator": N_("Operator"),
        "government": N_("Government agencies"),
        "bank": N_("Banks"),
        "hospital": N_("Hospitals"),
        "university": N_("Universities"),
        "utility": N_("Energy and water"),
        "transport": N_("Transport and bikes"),
        "company": N_("Companies"),
        "civil_society": N_("Civil society"),
        "automotive": N_("Car makers"),
        "energy": N_("Energy companies"),
        "hotel": N_("Hotels"),
        "retail": N_("Shops"),
    },
    "outcome": {
        "granted": N_("Allowed"),
        "refused": N_("Refused"),
        "answered": N_("Answered"),
    },
    "basis": {
        "consent": N_("Your consent"),
        "mandate": N_("A legal mandate"),
        "request": N_("Your own request to the operator"),
        "enrolment": N_("You joined the credit programme"),
    },
    "context": {
        "finance": N_("Money and bills"),
        "mobility": N_("Getting around"),
        "learning": N_("Learning"),
        "civic": N_("Civic life"),
    },
    "reason": {
        "ok": N_("Within what the basis allows"),
        "not_yet_valid": N_("The consent was not yet valid"),
        "expired": N_("The consent had expired"),
        "unknown_consent": N_("No such consent exists"),
        "consent_other_member": N_("The consent was given to another member"),
        "consent_other_subject": N_("The consent was not yours"),
        "consent_revoked": N_("You had revoked the consent"),
        "purpose_not_covered": N_("The purpose was not covered"),
        "unknown_mandate": N_("No such mandate exists"),
        "mandate_other_member": N_("The mandate does not cover this member"),
        "mandate_repealed": N_("The mandate had been repealed"),
        "unknown_member": N_("Not an active member"),
        "role_not_allowed": N_("The member may not read records"),
        "unknown_purpose": N_("An unknown purpose"),
        "categories_not_covered": N_("The categories asked for were not covered"),
        "special_category_refused": N_("Special categories are never shared"),
        "not_provider": N_("The member does not offer this benefit"),
        "request_not_operator": N_("Only the operator acts on your own requests"),
    },
    "status": {
        "active": N_("In force"),
        "revoked": N_("Revoked"),
        "expired": N_("Expired"),
        "future": N_("Not yet in force"),
        "disputed": N_("Disputed"),
        "retracted": N_("Retracted"),
        "erased": N_("Erased"),
    },
    "dispute": {
        "open": N_("Waiting for the member's answer"),
        "upheld": N_("Answered: the record stands"),
        "amended": N_("Answered: the record was corrected"),
        "retracted": N_("Answered: the record was withdrawn"),
        "expired": N_("Not answered in time: resolved in your favour"),
    },
    "tier": {
        # Not "Member": the member organisations are members, and "302 members" is not a score.
        "member": N_("Starter level"),
        "bronze": N_("Bronze level"),
        "silver": N_("Silver level"),
        "gold": N_("Gold level"),
    },
    "action": {
        "admit_member": N_("Admit a member"),
        "retire_member": N_("Retire a member"),
        "adopt_rules": N_("Adopt new scoring rules"),
        "adopt_mandate": N_("Adopt a legal mandate"),
        "adopt_witness_policy": N_("Choose the log's witnesses"),
        "update_member_profile": N_("Change a member's names or contact point"),
        "grant_role": N_("Give a member a role"),
    },
    "kind": {
        "record.put": N_("A record about you"),
        "record.amend": N_("A record corrected"),
        "record.retract": N_("A record retracted"),
        "consent.grant": N_("Your consent"),
        "consent.revoke": N_("Your consent revoked"),
        "access.read": N_("A member read your records"),
        "programme.enrol": N_("You enrolled"),
        "programme.withdraw": N_("You withdrew"),
        "benefit.check": N_("A provider asked about a benefit"),
        "dispute.open": N_("You opened a dispute"),
        "dispute.answer": N_("A member answered your dispute"),
        "dispute.expire": N_("Your dispute was resolved for you"),
        "subject.erase": N_("Your data erased"),
        "account.code": N_("A code to add a passkey was issued"),
        "account.device": N_("A change to your passkeys"),
        "consultation.statement": N_("Your statement in a consultation"),
        "consultation.vote": N_("Your vote in a consultation"),
        "consultation.flag": N_("You reported a statement"),
        "consultation.translate": N_("You suggested a translation"),
    },
    "passkey": {
        "active": N_("Works"),
        "pending": N_("Waiting"),
        "removed": N_("Removed by you"),
        "refused": N_("Refused: not yours"),
        "replaced": N_("Replaced by a recovery"),
    },
    "code": {
        "enrolment": N_("Enrolment code"),
        "recovery": N_("Recovery code"),
    },
    "device_event": {
        "refused": N_("You refused a new passkey: this was not you"),
        "objected": N_("You objected to a recovery: the account was frozen"),
        "kept": N_("Review: your passkeys were kept, the recovery refused"),
        "recovered": N_("Review: the recovery passkey replaced the others"),
    },
    "vote": {
        "agree": N_("Agree"),
        "disagree": N_("Disagree"),
        "pass": N_("Pass / unsure"),
    },
    "fate": {
        "waiting": N_("Waiting for a moderator"),
        "published": N_("Published"),
        "rejected": N_("Not published"),
    },
    "translator": {
        "author": N_("Translated by its author"),
        "volunteer": N_("Translated by a volunteer"),
        "moderator": N_("Translated by a moderator"),
        "automatic": N_("Converted automatically (OpenCC)"),
    },
    "flag": {
        "spam": N_("It is spam or advertising"),
        "off_topic": N_("It is off topic"),
        "abusive": N_("It is abusive"),
    },
    "decision": {
        "accept": N_("Accepted"),
        "reject": N_("Rejected"),
    },
    "moderation_reason": {
        "meets_guidelines": N_("Meets the guidelines"),
        "spam": N_("Spam or advertising"),
        "off_topic": N_("Off topic"),
        "abusive": N_("Abusive"),
        "personal_data": N_("Names or details of a person"),
        "duplicate": N_("Says what another statement says"),
        "unlawful": N_("Unlawful"),
        "not_a_statement": N_("Not a statement others can vote on"),
        "inaccurate_translation": N_("The translation is not faithful"),
    },
    "lang": {
        "th": N_("Thai"),
        "zh-Hans": N_("Chinese (Simplified)"),
        "zh-Hant": N_("Chinese (Traditional)"),
        "en": N_("English"),
    },
    "consultation_error": {
        "empty_statement": N_("Write something others can read."),
        "statement_too_long": N_("This is longer than the limit for its language."),
        "bad_statement": N_("Remove the control characters from the text."),
        "bad_language": N_("Choose a language."),
        "same_language": N_("Choose another language than the original's."),
    },
    "benefit": {
        "bike-deposit-free": N_("Rent a city bike without a deposit."),
        "hotel-deposit-waiver": N_("Check in without a card deposit at participating hotels."),
        "shopping-discount": N_("Five percent off at participating local shops."),
    },
}


OPERATOR = N_("The consortium's operator")
"""The operator's name where it gave none in the reader's language."""

BENEFIT_PURPOSE = N_("Checking whether you can have a benefit: %(benefit)s")
"""The purpose of a provider's benefit question (logged as ``benefit:<id>``)."""


def label(group: str, code: str) -> str:
    """The English message for a code (to be translated), or the code itself. A category
    a benefit check asks about may be a scoring context (``learning``)."""
    found = LABELS.get(group, {}).get(code)
    if found is None and group == "category":
        found = LABELS["context"].get(code)
    return code if found is None else found


ERRORS: dict[str, str] = {
    "unknown_record": N_("There is no such record about you."),
    "unknown_dispute": N_("There is no such dispute of yours."),
    "unknown_consent": N_("There is no such consent of yours."),
    "bad_statement": N_(
        "Write between 1 and 2,000 characters about what is wrong, in plain text: "
        "no control or direction-changing characters."
    ),
    "too_many_attempts": N_("Too many attempts. Wait a few minutes, then try again."),
    "dispute_exists": N_("This record already has an open dispute."),
    "bad_enrolment_code": N_(
        "That enrolment code is not valid: it may be mistyped, used or expired. "
        "Ask the registry office for a new one."
    ),
    "unknown_passkey": N_("This passkey is not registered here. Register with an enrolment code."),
    "passkey_failed": N_("The passkey could not be checked. Try again."),
    "bad_csrf": N_("This form has expired. Go back, reload the page and try again."),
    "bad_form": N_("This form could not be read. Go back and try again."),
    "form_too_large": N_("What you sent is too long."),
    "not_enrolled": N_("You have not enrolled in the credit programme."),
    "confirm_erasure": N_("Tick the box to confirm that you understand what erasure destroys."),
    "bad_consent": N_("Choose a member, a purpose, at least one category and a period."),
    "not_demo": N_("Demo sign-in is only available in the demo."),
    "unknown_device": N_("There is no such passkey of yours."),
    "unknown_session": N_("There is no such session of yours."),
    "needs_passkey": N_("Only a device signed in with a working passkey can do this."),
    "not_pending": N_("This passkey is not waiting for approval."),
    "no_recovery": N_("No recovery is under way."),
    "recovery_waits": N_(
        "A recovery passkey cannot be removed. If the recovery was not you, object to it."
    ),
    "bad_name": N_("A name is 1 to 60 characters."),
    "account_frozen": N_("This account is frozen for review. Contact the registry office."),
    "passkey_pending": N_(
        "This passkey is new and still waiting. Approve it from a device you already use, "
        "or wait until the cooling-off ends."
    ),
    "unknown_consultation": N_("There is no such consultation."),
    "consultation_closed": N_("This consultation is closed."),
    "unknown_statement": N_("There is no such statement in this consultation."),
    "statement_not_shown": N_(
        "This statement is not shown: it waits for a moderator or was not published."
    ),
    "rate_limited": N_("You have written many statements in the last hour. Try again later."),
    "bad_vote": N_("Choose agree, disagree or pass."),
    "no_vote": N_("You have no vote on this statement to withdraw."),
    "already_flagged": N_("You have already reported this statement."),
    "bad_flag": N_("Choose why you report the statement."),
}
"""What a person is told when a request is refused, by the refusal's code."""
