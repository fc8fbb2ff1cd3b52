"""Personal entries: what the log carries about a person, and how a handler reads it.

Every entry about a person (records, consents, access, enrolment, benefit checks, disputes,
erasure) has the same public body: a blinded ``tag`` naming the person, fresh for each entry,
and the entry's metadata sealed under the person's key (``sealed``, AES-256-GCM bound to the
entry's kind, signer and tag) with a ``commitment`` to its plaintext. Nothing in it recurs in
any other entry, so a stranger reading the log cannot tell which entries concern one person.

The vault (a `credo.ledger.registry.Opener`) resolves tags and opens sealed metadata. A
handler asks `open_personal` for the subject and the metadata, validated against the kind's metadata
model; without an opener (a stranger's replay) or without the person's key (erased), there is
nothing to apply beyond the tag itself, which is recorded so that a tag is never used twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, ValidationError

from credo.errors import EntryRejected, InputError, VerificationError
from credo.ledger.registry import Context, Opener, first_error
from credo.ledger.schema import Body
from credo.ledger.validate import Decoded
from credo.store import WriteTx
from credo.vault import OpenedMeta

Tag = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{59}$")]
SealedText = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=12_000)]
Commitment = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Salt = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class PersonalBody(Body):
    """The public body of every personal entry."""

    tag: Tag
    sealed: SealedText
    commitment: Commitment


class TagOnly(Body):
    """The body of ``subject.erase``: the person's key is gone, so nothing is sealed."""

    tag: Tag


class Meta(Body):
    """Sealed metadata: each personal kind's fields, plus the salt that hides them."""

    salt: Salt


M = TypeVar("M", bound=Meta)


@dataclass(frozen=True, slots=True)
class Personal(Generic[M]):
    """A personal entry as a handler sees it. ``subject`` is None when nobody can resolve
    the tag here (a stranger's replay); ``meta`` is None when the metadata cannot be read
    (no opener, an erased person, or a decoy naming nobody)."""

    tag: str
    index: int
    subject: str | None
    meta: M | None

    def mark(self, tx: WriteTx) -> None:
        """Record the tag (and whom it names): the handler's first write."""
        tx.add_tag(self.tag, self.index, self.subject)


def _check_fresh(tx: WriteTx, tag: str) -> None:
    if tx.tag_index(tag) is not None:
        raise EntryRejected("this tag is already on the log", code="tag_reused")


def open_personal(
    tx: WriteTx, index: int, entry: Decoded, ctx: Context, model: type[M]
) -> Personal[M]:
    """Resolve and open a personal entry; refuse it if its tag or seal is not genuine."""
    body = PersonalBody.model_validate(entry.body)
    _check_fresh(tx, body.tag)
    if ctx.opener is None:
        _refuse_unreadable(ctx)
        return Personal(body.tag, index, None, None)
    try:
        opened = ctx.opener.open_meta(entry.kind, entry.by, body.tag, body.sealed, body.commitment)
    except (VerificationError, InputError) as exc:
        raise EntryRejected(f"sealed metadata: {exc.message}", code="bad_seal") from exc
    if opened is None:
        raise EntryRejected("the tag was not made by this consortium's vault", code="bad_tag")
    if opened.plaintext is None:
        return Personal(body.tag, index, opened.subject, None)
    return Personal(body.tag, index, opened.subject, _meta(model, opened.plaintext))


def resolve_tag(tx: WriteTx, index: int, entry: Decoded, ctx: Context) -> Personal[Meta]:
    """For a tag-only entry (``subject.erase``): whom the tag names, nothing sealed."""
    body = TagOnly.model_validate(entry.body)
    _check_fresh(tx, body.tag)
    if ctx.opener is None:
        _refuse_unreadable(ctx)
        return Personal(body.tag, index, None, None)
    subject = ctx.opener.subject_of(body.tag)
    if subject is None:
        raise EntryRejected("the tag was not made by this consortium's vault", code="bad_tag")
    return Personal(body.tag, index, subject, None)


def group_context(ctx: Context, entries: Iterable[Decoded]) -> Context:
    """``ctx`` for applying ``entries`` in one group commit: its opener has read the vault
    once for every subject their tags name (`Opener.opening`), not once an entry. Measured
    with bench/bench_record_compute.py: see docs/architecture.md, fast paths."""
    if ctx.opener is None:
        return ctx
    tags = [e.body["tag"] for e in entries if isinstance(e.body.get("tag"), str)]
    return replace(ctx, opener=ctx.opener.opening(tags)) if tags else ctx


def open_statement(opener: Opener, statement: dict[str, Any]) -> OpenedMeta | None:
    """A stored personal entry's statement, opened as its handler opens it: None when it seals
    nothing (``subject.erase``) or its tag is not the vault's."""
    return open_statements(opener, [statement])[0]


def open_statements(opener: Opener, statements: list[dict[str, Any]]) -> list[OpenedMeta | None]:
    """`open_statement` for many entries, in one read of the vault (`Opener.open_metas`)."""
    sealed = [i for i, s in enumerate(statements) if "sealed" in s["body"]]
    opened = opener.open_metas(
        [
            (s["kind"], s["by"], s["body"]["tag"], s["body"]["sealed"], s["body"]["commitment"])
            for s in (statements[i] for i in sealed)
        ]
    )
    out: list[OpenedMeta | None] = [None] * len(statements)
    for i, meta in zip(sealed, opened, strict=True):
        out[i] = meta
    return out


def _refuse_unreadable(ctx: Context) -> None:
    """A live ledger without the vault must not accept what it cannot check."""
    if ctx.policy is not None:
        raise EntryRejected("this node cannot read personal entries", code="no_vault")


def _meta(model: type[M], plaintext: bytes) -> M:
    """Parsed and validated in one pass (as `Registry.parse_payload`): the plaintext is the
    vault's own canonical JSON, authenticated by its seal and its commitment."""
    try:
        return model.model_validate_json(plaintext)
    except ValidationError as exc:
        bad_json = exc.errors()[0]["type"] == "json_invalid"
        raise EntryRejected(
            f"sealed metadata: {'not JSON' if bad_json else first_error(exc)}", code="schema"
        ) from exc


def require_person(tx: WriteTx, p: Personal[M], ctx: Context) -> M | None:
    """The metadata of an entry that must concern a person the vault holds a key for.

    Returns None when there is nothing to apply (a stranger's replay, or a replay of an
    erased person's entries); refuses a new entry about a person without a key.
    """
    if p.subject is not None and tx.is_subject_erased(p.subject):
        raise EntryRejected("that subject was erased", code="subject_erased")
    if p.meta is not None:
        return p.meta
    if ctx.opener is not None and ctx.policy is not None:
        raise EntryRejected(
            "no key is held for the person this entry names", code="unknown_subject"
        )
    return None
