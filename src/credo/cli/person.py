"""credo person ...: a person's rights, carried out by the operator (export, erasure), their
portal enrolment code (invite), and the check anyone can make of an export against the log
(verify)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from credo.cli._common import DataOption, console_err
from credo.cli._people import (
    BasisOption,
    NationalIdOption,
    PurposeOption,
    logged_read,
    open_people,
)
from credo.errors import InputError
from credo.services.accounts import Accounts, relying_party
from credo.services.node import DataDir
from credo.settings import Settings
from credo.tlog import parse_policy

app = typer.Typer(
    help="A person's rights: export everything held, erase, or verify an export; their "
    "portal enrolment code.",
    no_args_is_help=True,
)


def _open_accounts(data: Path) -> Accounts:
    """The data directory's portal sign-in state (the relying party from CREDO_PUBLIC_URL,
    the cooling-off from CREDO_COOLING_OFF_HOURS)."""
    settings = Settings(data_dir=data)
    rp_id, origin = relying_party(settings.public_url)
    return Accounts.open(
        DataDir(data), rp_id=rp_id, origin=origin, cooling_off_hours=settings.cooling_off_hours
    )


@app.command("export")
def export(
    data: DataOption,
    nid: NationalIdOption,
    purpose: PurposeOption = None,
    basis: BasisOption = None,
) -> None:
    """Print everything held about the person as one JSON document (records decrypted, every
    access, every consent). The read is logged first, as an access the person sees (usually
    --purpose subject_access --basis request:REF); a refused one too."""
    with open_people(data) as people:
        logged_read(people, nid, "person export", purpose, basis)
        doc = people.rights.export(nid).to_json()
    print(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command("erase")
def erase(data: DataOption, nid: NationalIdOption) -> None:
    """Forget the person: destroy their keys and payloads and their portal sign-in state
    (enrolment codes, passkeys, sessions); the log stays verifiable."""
    with open_people(data) as people:
        ref = people.subject_ref(nid)
        if ref is not None:
            accounts = _open_accounts(data)
            try:
                accounts.forget(ref)  # first: the person cannot sign in while being erased
            finally:
                accounts.close()
            if people.drop_reservation(nid):
                console_err.print(
                    "erased: portal sign-in state and the vault's reservation; "
                    "no entry about the person is on the log"
                )
                return
        done = people.rights.erase(nid)
    console_err.print(
        f"erased: {done['payloads_destroyed']} payload(s) destroyed; "
        f"subject.erase at log index {done['index']}"
    )


@app.command("invite")
def invite(
    data: DataOption,
    nid: NationalIdOption,
    recovery: Annotated[
        bool,
        typer.Option(
            "--recovery",
            help="A recovery code, only after proofing the person in person: its passkey "
            "replaces every other once the cooling-off ends, unless the person objects",
        ),
    ] = False,
) -> None:
    """Issue the person a one-time enrolment code for the portal, with which they register a
    passkey; their earlier unused codes stop working. The issue is logged first (an
    ``account.code`` entry naming the operator), which the person sees. Prints the code and
    its expiry."""
    with open_people(data) as people:
        subject = people.enrolment_subject(nid)
        accounts = _open_accounts(data)
        try:
            issued = accounts.issue(
                people, subject, people.writer.operator, "recovery" if recovery else "enrolment"
            )
        finally:
            accounts.close()
    print(issued.code)
    print(f"expires {issued.expires_at}")
    console_err.print(f"{issued.kind} code logged: account.code at log index {issued.log_index}")


@app.command("review")
def review(
    data: DataOption,
    nid: NationalIdOption,
    decision: Annotated[
        str,
        typer.Option(
            "--decision",
            help="keep: refuse the recovery passkey and keep the person's others; recover: put "
            "the recovery passkey in place of every other at once",
        ),
    ],
) -> None:
    """End the freeze of a person's portal account (a recovery they objected to), after
    seeing them in person; the outcome is logged (``account.device``) for the person."""
    if decision not in ("keep", "recover"):
        raise InputError("--decision is keep or recover", code="bad_decision")
    with open_people(data) as people:
        subject = people.subject_ref(nid)
        accounts = _open_accounts(data)
        try:
            if subject is None or not accounts.frozen(subject):
                raise InputError("that person's account is not frozen", code="not_frozen")
            index = accounts.review(people, subject, "keep" if decision == "keep" else "recover")
        finally:
            accounts.close()
    console_err.print(f"review logged: account.device at log index {index}")


@app.command("verify")
def verify(
    export_file: Annotated[
        Path, typer.Option("--export", help="The person's export (from `credo person export`)")
    ],
    url: Annotated[str, typer.Option(help="The credo server whose log to check it against")],
    log_vkey: Annotated[
        str | None, typer.Option(help="The log's verifier key to pin (default: ask the server)")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="The witness policy to pin (C2SP tlog-policy file; default: ask the server)"
        ),
    ] = None,
) -> None:
    """Check, from outside, that every entry of an export is in the log (inclusion proof under
    a signed checkpoint, cosigned to the witness quorum if there is a witness policy) and
    carries the commitment of the metadata the export shows."""
    try:
        export_doc = json.loads(export_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the export {export_file}: {exc}", code="bad_export") from exc
    if not isinstance(export_doc, dict):
        raise InputError("an export is a JSON object", code="bad_export")
    pinned = None
    if policy is not None:
        try:
            pinned = parse_policy(policy.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read {policy}: {exc}", code="bad_input") from exc
    from credo.client.audit import verify_export  # httpx: only this command needs it

    checked = verify_export(export_doc, url, log_vkey, witness_policy=pinned)
    print(
        f"OK: {checked.entries} entries in the log (checkpoint size {checked.checkpoint_size}), "
        f"{checked.opened} with their metadata matching the log's commitment"
    )
