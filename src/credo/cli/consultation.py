"""credo consultation: a consultation's results, published, checked, imported and exported.

Beside `credo consult` (the convener's and moderators' running of a consultation: open,
close, queue, moderate), this group is about what comes out of one: ``publish`` logs a
result, ``verify`` is anyone's check of it against a server, ``import``/``export`` read and
write Pol.is open-data exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from credo.cli._common import DataOption, console, member_key
from credo.errors import InputError
from credo.services.consultations import Consultations
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.tlog import parse_policy

if TYPE_CHECKING:
    from credo.services.consultation_results import ConsultationResults

app = typer.Typer(
    help="Consultation results: publish, verify, import and export (Pol.is).",
    no_args_is_help=True,
)


def _results(node: Node) -> ConsultationResults:
    # Imported here, as in `credo consult queue`: the analysis loads NumPy (0.2 s), which
    # every other command would pay for at its start.
    from credo.services.consultation_results import ConsultationResults

    return ConsultationResults(Consultations(People.open(node)), node.data.root / "documents")


@app.command("publish")
def publish(
    data: DataOption,
    member: Annotated[str, typer.Option(help="The convener, or the operator")],
    id: Annotated[str, typer.Argument(help="Consultation id")],
) -> None:
    """Publish the current result: its documents stored, a consultation.result logged."""
    node = Node(DataDir(data)).start()
    try:
        accepted = _results(node).publish(member, member_key(node.store, node.data, member), id)
    finally:
        node.close()
    console.print(f"result of {escape(id)} published at log index {accepted.index}")


@app.command("verify")
def verify(
    url: Annotated[str, typer.Option(help="The credo server, e.g. https://credo.example")],
    id: Annotated[str, typer.Argument(help="Consultation id")],
    log_vkey: Annotated[str | None, typer.Option(help="Pin the log's verifier key")] = None,
    policy: Annotated[Path | None, typer.Option(help="Pin a witness policy file")] = None,
) -> None:
    """Download the published result and vote matrix, check the entry naming them is in
    the log, recompute the result here and say whether it matches (exit 1 if not)."""
    pinned = None
    if policy is not None:
        try:
            pinned = parse_policy(policy.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read {policy}: {exc}", code="bad_input") from exc
    from credo.client.consultation import verify_published  # NumPy: see `_results`

    checked = verify_published(url, id, log_vkey=log_vkey, witness_policy=pinned)
    print(
        f"OK: the result of {id} at log index {checked.index} (in the log at checkpoint size "
        f"{checked.checkpoint_size}) recomputes byte for byte from its vote matrix: "
        f"{checked.participants} participants, {checked.statements} statements, "
        f"{checked.votes} votes; matrix sha256 {checked.matrix}, result sha256 {checked.result}"
    )


@app.command("import")
def import_(
    data: DataOption,
    path: Annotated[Path, typer.Argument(help="A Pol.is export: comments.csv, votes.csv")],
    member: Annotated[str, typer.Option(help="The convener")],
    id: Annotated[str | None, typer.Option(help="New consultation id (default from PATH)")] = None,
    lang: Annotated[str, typer.Option(help="The question's language")] = "en",
) -> None:
    """Import a Pol.is export as a closed consultation and publish its result. The new
    consultation's id is printed on the last line."""
    cid = id or _id_from(path)
    node = Node(DataDir(data)).start()
    try:
        results = _results(node)
        results.import_polis(
            member, member_key(node.store, node.data, member), path, cid, question_lang=lang
        )
        info = results.published(cid)
    finally:
        node.close()
    console.print(f"imported {escape(str(path))}: result published at log index {info['index']}")
    print(cid)


@app.command("export")
def export(
    data: DataOption,
    id: Annotated[str, typer.Argument(help="Consultation id")],
    out: Annotated[Path, typer.Argument(help="Directory to write the four CSV files in")],
) -> None:
    """Write comments.csv, votes.csv, participants-votes.csv (with group-id) and
    summary.csv, in the Pol.is open-data format."""
    node = Node(DataDir(data)).start()
    try:
        _results(node).export_polis(id, out)
    finally:
        node.close()
    console.print(f"wrote {escape(str(out))}")


def _id_from(path: Path) -> str:
    """A consultation id from the export's directory name (``vtaiwan.uberx``)."""
    name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in path.resolve().name)
    name = name.lower().strip("-._")[:60]
    if len(name) < 3:
        raise InputError("give the new consultation an id with --id", code="bad_input")
    return name
