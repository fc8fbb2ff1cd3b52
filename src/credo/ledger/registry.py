"""The registry of entry kinds: each kind once, with its body schema, the roles that may sign
it and its state transition. A ledger is built with a registry (`credo.ledger.kinds.
standard_kinds` lists credo's closed set); nothing registers itself by being imported.

A payload is ``{"v": 1, "kind": ..., "by": member id, "at": RFC 3339 UTC, "body": {...}}``;
anything whose kind the registry does not hold is refused before sequencing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from credo.errors import EntryRejected
from credo.ledger.schema import Body, MemberId, Timestamp
from credo.store import MemberRow, WriteTx
from credo.vault import OpenedMeta, SealedEntry

if TYPE_CHECKING:
    from credo.ledger.validate import Decoded


class Policy(Protocol):
    """The policy checks that judge new entries, and only new ones.

    A replay never asks them: what the log holds was accepted under the checks in force when
    it was written, and tightening the checks later must not make an honest log fail
    `credo verify`.
    """

    def vet_rules(self, document: bytes) -> None:
        """Refuse a rules document (raise `RulesRejected` with a code) that may not be adopted."""
        ...


class Opener(Protocol):
    """What the ledger needs of the vault to read personal entries (`credo.ledger.personal`);
    `credo.vault.Vault` satisfies it."""

    def subject_of(self, tag: str) -> str | None: ...

    def open_meta(
        self, kind: str, by: str, tag: str, sealed: str, commitment: str
    ) -> OpenedMeta | None: ...

    def open_metas(self, entries: Sequence[SealedEntry]) -> list[OpenedMeta | None]:
        """`open_meta` for many entries at once."""
        ...

    def opening(self, tags: Iterable[str]) -> Opener:
        """An opener that has read, once, what the entries with these tags need (the
        sequencer's group: `credo.ledger.personal.group_context`)."""
        ...

    def participant(self, subject: str, consultation: str) -> str | None:
        """The subject's participant id in a consultation (None: no key held)."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    """What a state transition may consult besides the transaction.

    ``policy`` is None while replaying the log: integrity is checked, policy is not.
    ``opener`` is None for a stranger's replay, which holds no key: personal entries then
    change nothing but the record of their tags.
    """

    kinds: Registry
    policy: Policy | None
    opener: Opener | None = None


Handler = Callable[[WriteTx, int, "Decoded", MemberRow, Context], None]
"""A kind's state transition: check the entry against the state before position ``index``
and write its effects; every check runs before the first write."""


@dataclass(frozen=True)
class Kind:
    name: str
    body: type[Body]
    roles: frozenset[str]
    """Any one of these lets an admitted member sign the kind."""
    apply: Handler
    summary: str
    """One line for people: what an entry of this kind says."""
    example: dict[str, Any]
    """A valid body, for the documentation (`GET /v1/kinds`)."""
    sealed: type[Body] | None = None
    """A personal kind's sealed metadata (`credo.ledger.personal`); None for the
    consortium's own kinds, whose bodies are in clear."""
    sealed_example: dict[str, Any] | None = None


class Payload(BaseModel):
    """The common shape of every payload; each kind gets a subclass with its own body."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    v: Annotated[int, Field(ge=1, le=1)]  # not Literal[1]: that matches true and 1.0 too
    kind: str
    by: MemberId
    at: Timestamp
    body: Body


def _payload_model(kind: Kind) -> type[Payload]:
    fields: dict[str, Any] = {"kind": (Literal[kind.name], ...), "body": (kind.body, ...)}
    model: type[Payload] = create_model(f"Payload[{kind.name}]", __base__=Payload, **fields)
    return model


class Registry:
    """A closed set of kinds. Picklable (its kinds are module-level classes and functions),
    so validation worker processes get the very registry the ledger was built with."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self._kinds: dict[str, Kind] = {}
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"entry kind {kind.name!r} is listed twice")
            self._kinds[kind.name] = kind
        self._payloads = {name: _payload_model(k) for name, k in self._kinds.items()}

    def __getstate__(self) -> tuple[Kind, ...]:
        return tuple(self._kinds.values())

    def __setstate__(self, kinds: tuple[Kind, ...]) -> None:
        self.__init__(kinds)  # type: ignore[misc]

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def get(self, name: str) -> Kind:
        kind = self._kinds.get(name)
        if kind is None:
            raise EntryRejected(f"unknown entry kind {name!r}", code="unknown_kind")
        return kind

    def payload_schema(self, kind: str) -> dict[str, Any]:
        """The JSON Schema of a whole payload of ``kind`` (``v``, ``kind``, ``by``, ``at`` and
        its body), as the ledger validates it."""
        self.get(kind)
        schema: dict[str, Any] = self._payloads[kind].model_json_schema()
        return schema

    def parse_payload(self, data: bytes, kind: str) -> Payload:
        """Parse and validate a payload's JSON against its kind's schema in one pass
        (pydantic-core parses and validates together, about twice as fast as json.loads then
        validation, and this runs once per submitted entry); refuse unknown kinds."""
        model = self._payloads.get(kind)
        if model is None:
            raise EntryRejected(f"unknown entry kind {kind!r}", code="unknown_kind")
        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            bad_json = exc.errors()[0]["type"] == "json_invalid"
            raise EntryRejected(
                f"{kind} payload: {first_error(exc)}",
                code="bad_json" if bad_json else "schema",
            ) from exc


def first_error(exc: ValidationError) -> str:
    """Pydantic's first complaint, as ``where: what``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"
