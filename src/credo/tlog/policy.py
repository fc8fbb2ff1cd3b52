"""C2SP tlog-policy: which logs and witnesses are trusted, and the quorum of cosignatures.

A policy file is lines of ``log <vkey> [<url>]``, ``witness <name> <vkey> [<url>]``,
``group <name> all|any|<k> <member>...`` and exactly one ``quorum <name>|none``; items are
separated by spaces and tabs only, blank lines and lines starting with ``#`` are ignored. A
group or the quorum names only witnesses and groups defined on earlier lines (so there are no
cycles), each member at most once; ``none`` is reserved. Log keys are Ed25519 signed-note keys
(type 0x01), witness keys Ed25519 cosignature keys (type 0x04); two entries wrapping the same
public key are duplicates and refused.

`parse_policy` reads a file; `Policy.satisfied` evaluates the quorum over the witnesses that
cosigned, and `Policy.verify_checkpoint` does the whole check of a cosigned checkpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from credo.errors import InputError, VerificationError
from credo.tlog.checkpoint import Checkpoint
from credo.tlog.cosignature import Cosignature, CosignatureVerifier, verify_cosignatures
from credo.tlog.note import Note, NoteVerifier, open_note, parse_note

T = TypeVar("T")
NONE = "none"
MAX_ENTRIES = 256  # logs, witnesses and groups each; the spec asks for at least 32
MAX_POLICY_BYTES = 1 << 20
_FIELDS = re.compile(r"[ \t]+")
_THRESHOLD = re.compile(r"[1-9][0-9]{0,5}")
_BAD_OCTETS = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class PolicyLog:
    verifier: NoteVerifier
    url: str | None = None

    @property
    def origin(self) -> str:
        """The log's key name, which is its origin line (tlog-policy, "Defining a log")."""
        return self.verifier.name


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    verifier: CosignatureVerifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """What `Policy.verify_checkpoint` found: the checkpoint, its log, and who cosigned it."""

    checkpoint: Checkpoint
    log: PolicyLog
    cosignatures: tuple[Cosignature, ...]
    witnesses: frozenset[str]


@dataclass(frozen=True)
class Policy:
    logs: tuple[PolicyLog, ...]
    witnesses: Mapping[str, PolicyWitness]
    groups: Mapping[str, PolicyGroup]
    quorum: str  # a witness or group name, or "none"
    _by_key: Mapping[tuple[str, bytes], str] = field(default_factory=dict, repr=False)

    def witness_verifiers(self) -> list[CosignatureVerifier]:
        return [w.verifier for w in self.witnesses.values()]

    def cosigners(self, cosignatures: Iterable[Cosignature]) -> frozenset[str]:
        """The policy names of the witnesses whose keys made these (already verified)
        cosignatures; cosignatures by keys the policy does not list are ignored."""
        by_key = self._by_key or {
            (w.verifier.name, w.verifier.key_id): w.name for w in self.witnesses.values()
        }
        return frozenset(
            by_key[(c.name, c.key_id)] for c in cosignatures if (c.name, c.key_id) in by_key
        )

    def satisfied(self, witnessed: Collection[str]) -> bool:
        """Whether the quorum is met when exactly the witnesses named in ``witnessed`` (policy
        names) have cosigned: a witness witnesses by cosigning, a group when at least its
        threshold of members witness, and ``none`` always."""
        if self.quorum == NONE:
            return True
        memo: dict[str, bool] = {}

        def ok(name: str) -> bool:
            if name not in memo:
                group = self.groups.get(name)
                if group is None:
                    memo[name] = name in witnessed
                else:
                    memo[name] = sum(ok(m) for m in group.members) >= group.threshold
            return memo[name]

        return ok(self.quorum)

    def verify_checkpoint(
        self, note_bytes: bytes, *, not_after: int | None = None
    ) -> VerifiedCheckpoint:
        """Check a cosigned checkpoint against the whole policy; ``VerificationError`` unless
        a listed log whose key name is the checkpoint's origin signed it and the verified
        cosignatures meet the quorum (``InputError`` if the note is malformed)."""
        parsed = parse_note(note_bytes)
        cp = Checkpoint.from_text(parsed.text)
        logs = [log for log in self.logs if log.origin == cp.origin]
        if not logs:
            raise VerificationError(f"no log in the policy has origin {cp.origin!r}")
        signed = open_note(note_bytes, [log.verifier for log in logs])
        keys = {(s.name, s.key_id) for s in signed.signatures}
        log = next(g for g in logs if (g.verifier.name, g.verifier.key_id) in keys)
        return self._quorum(parsed, cp, log, not_after)

    def verify_log_checkpoint(
        self, note_bytes: bytes, log: NoteVerifier, *, not_after: int | None = None
    ) -> VerifiedCheckpoint:
        """Check a cosigned checkpoint of one log whose key the caller pinned: signed by
        ``log`` (whose name is the origin), and cosigned to the quorum. The policy's own
        ``log`` lines are not consulted (a log's witness policy need not list the log)."""
        parsed = parse_note(note_bytes)
        cp = Checkpoint.from_text(parsed.text)
        if cp.origin != log.name:
            raise VerificationError(
                f"checkpoint origin {cp.origin!r} is not the log key's name {log.name!r}"
            )
        open_note(note_bytes, [log])
        return self._quorum(parsed, cp, PolicyLog(log), not_after)

    def _quorum(
        self, parsed: Note, cp: Checkpoint, log: PolicyLog, not_after: int | None
    ) -> VerifiedCheckpoint:
        cosigs = verify_cosignatures(parsed, self.witness_verifiers(), not_after=not_after)
        names = self.cosigners(cosigs)
        if not self.satisfied(names):
            got = ", ".join(sorted(names)) or "none"
            raise VerificationError(
                f"checkpoint of size {cp.size} does not meet the witness quorum "
                f"{self.quorum!r} (cosigned by: {got})",
                code="no_quorum",
            )
        return VerifiedCheckpoint(cp, log, tuple(cosigs), names)


def _decode(data: bytes | str) -> str:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if len(raw) > MAX_POLICY_BYTES:
        raise InputError(f"policy is {len(raw)} bytes, the limit is {MAX_POLICY_BYTES}")
    bad = _BAD_OCTETS.search(raw)
    if bad:
        line = raw[: bad.start()].count(b"\n") + 1
        raise InputError(f"policy line {line}: control character {bad.group()!r}")
    # Octets with the high bit set are opaque (names compare as octets): surrogateescape
    # maps each byte string to exactly one str, so names compare as their bytes do.
    return raw.decode("utf-8", "surrogateescape")


def _optional_url(fields: list[str], at: int, where: str) -> str | None:
    if len(fields) > at + 1:
        raise InputError(f"{where}: unexpected {' '.join(fields[at + 1 :])!r}")
    return fields[at] if len(fields) == at + 1 else None


def parse_policy(data: bytes | str) -> Policy:
    """Parse a C2SP tlog-policy file strictly; ``InputError`` names the line at fault."""
    logs: list[PolicyLog] = []
    witnesses: dict[str, PolicyWitness] = {}
    groups: dict[str, PolicyGroup] = {}
    keys: dict[bytes, str] = {}  # raw public key -> where it was first listed
    quorum: str | None = None

    def define(name: str, where: str) -> None:
        if name == NONE:
            raise InputError(f"{where}: the name {NONE!r} is reserved")
        if name in witnesses or name in groups:
            raise InputError(f"{where}: {name!r} is already defined")

    def unique_key(key: bytes, what: str, where: str) -> None:
        if key in keys:
            raise InputError(f"{where}: duplicate {what}: the same public key as {keys[key]}")
        keys[key] = where

    for number, line in enumerate(_decode(data).split("\n"), start=1):
        where = f"policy line {number}"
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        keyword, *fields = _FIELDS.split(stripped)
        if keyword == "log":
            if not fields:
                raise InputError(f"{where}: log needs a vkey")
            verifier = _vkey(fields[0], NoteVerifier.from_vkey, where)
            unique_key(verifier.public_key, "log", where)
            logs.append(PolicyLog(verifier, _optional_url(fields, 1, where)))
        elif keyword == "witness":
            if len(fields) < 2:
                raise InputError(f"{where}: witness needs a name and a vkey")
            name = fields[0]
            define(name, where)
            cosigner = _vkey(fields[1], CosignatureVerifier.from_vkey, where)
            unique_key(cosigner.public_key, "witness", where)
            witnesses[name] = PolicyWitness(name, cosigner, _optional_url(fields, 2, where))
        elif keyword == "group":
            if len(fields) < 3:
                raise InputError(f"{where}: group needs a name, a threshold and members")
            name, k, members = fields[0], fields[1], fields[2:]
            define(name, where)
            for member in members:
                if member == NONE:
                    raise InputError(f"{where}: {NONE!r} cannot be a group member")
                if member not in witnesses and member not in groups:
                    raise InputError(f"{where}: {member!r} is not defined on an earlier line")
            if len(set(members)) != len(members):
                raise InputError(f"{where}: a member is listed more than once")
            groups[name] = PolicyGroup(name, _threshold(k, len(members), where), tuple(members))
        elif keyword == "quorum":
            if len(fields) != 1:
                raise InputError(f"{where}: quorum takes exactly one name")
            if quorum is not None:
                raise InputError(f"{where}: a policy has exactly one quorum line")
            name = fields[0]
            if name != NONE and name not in witnesses and name not in groups:
                raise InputError(f"{where}: quorum {name!r} is not defined on an earlier line")
            quorum = name
        else:
            raise InputError(f"{where}: unknown keyword {keyword!r}")
        if max(len(logs), len(witnesses), len(groups)) > MAX_ENTRIES:
            raise InputError(f"{where}: more than {MAX_ENTRIES} logs, witnesses or groups")
    if quorum is None:
        raise InputError("policy has no quorum line")
    by_key = {(w.verifier.name, w.verifier.key_id): w.name for w in witnesses.values()}
    return Policy(tuple(logs), witnesses, groups, quorum, by_key)


def _vkey(text: str, parse: Callable[[str], T], where: str) -> T:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{where}: vkey is not valid UTF-8") from exc
    try:
        return parse(text)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from exc


def _threshold(text: str, members: int, where: str) -> int:
    if text == "any":
        return 1
    if text == "all":
        return members
    if not _THRESHOLD.fullmatch(text) or not 1 <= int(text) <= members:
        raise InputError(f"{where}: threshold {text!r} must be all, any or a decimal 1..{members}")
    return int(text)
