"""The Pol.is open-data export, read and written (compdemocracy/openData's format).

A conversation is four CSV files:

- ``comments.csv``: timestamp, datetime, comment-id, author-id, agrees, disagrees, moderated
  (1 accepted, 0 not yet, -1 moderated out), comment-body;
- ``votes.csv``: timestamp, datetime, comment-id, voter-id, vote (agree 1, disagree -1,
  pass 0), every vote ever cast, so a changed vote appears twice;
- ``participants-votes.csv``: participant, group-id, n-comments, n-votes, n-agree,
  n-disagree, then one column per comment holding the participant's latest vote;
- ``summary.csv``: key,value lines (topic, url, views, voters, voters-in-conv, commenters,
  comments, groups, conversation-description).

Reading needs ``comments.csv`` and ``votes.csv``; the group ids and summary are kept when
present. The vote matrix is each participant's latest vote per statement (by timestamp, a
later line winning a tie), which is exactly what an export's own participants-votes.csv
holds. Writing derives participants-votes.csv from the votes, so it always agrees with them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from credo.consultation.matrix import Vote, VoteMatrix, natural_key
from credo.errors import InputError

__all__ = ["PolisComment", "PolisExport", "PolisVote", "read_polis", "write_polis"]

COMMENT_COLUMNS = (
    "timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
    "comment-body",
)  # fmt: skip
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
SUMMARY_KEYS = (
    "topic", "url", "views", "voters", "voters-in-conv", "commenters", "comments", "groups",
    "conversation-description",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolisComment:
    """A statement. ``datetime`` is the export's own text (None: written from ``timestamp``,
    milliseconds since the epoch, in UTC)."""

    timestamp: int
    comment_id: str
    author_id: str
    agrees: int
    disagrees: int
    moderated: int
    body: str
    datetime: str | None = None


@dataclass(frozen=True, slots=True)
class PolisVote:
    timestamp: int
    comment_id: str
    voter_id: str
    vote: int
    datetime: str | None = None


@dataclass(frozen=True)
class PolisExport:
    """One conversation. ``groups`` maps participant to group-id ("" when not clustered);
    ``summary`` keeps summary.csv's lines in order."""

    comments: tuple[PolisComment, ...]
    votes: tuple[PolisVote, ...]
    groups: Mapping[str, str] = field(default_factory=dict)
    summary: tuple[tuple[str, str], ...] = ()

    def latest(self) -> dict[tuple[str, str], PolisVote]:
        """(voter, comment) -> that voter's latest vote on it."""
        out: dict[tuple[str, str], PolisVote] = {}
        for vote in self.votes:
            key = (vote.voter_id, vote.comment_id)
            held = out.get(key)
            if held is None or vote.timestamp >= held.timestamp:
                out[key] = vote
        return out

    def participants(self) -> list[str]:
        """Every voter, in canonical order."""
        return sorted({v.voter_id for v in self.votes}, key=natural_key)

    def matrix(self, *, include_moderated_out: bool = False) -> VoteMatrix:
        """The vote matrix the analysis takes: latest votes, statements moderated out left out
        (Pol.is zeroes them out of its math) unless asked for."""
        keep = [c.comment_id for c in self.comments if include_moderated_out or c.moderated != -1]
        kept = set(keep)
        return VoteMatrix.build(
            keep,
            (
                Vote(v.voter_id, v.comment_id, v.vote)
                for v in self.latest().values()
                if v.comment_id in kept
            ),
        )

    def moderated_out(self) -> int:
        """How many statements were moderated out: ``Params.zeroed_statements`` to analyse
        this conversation as Pol.is did."""
        return sum(1 for c in self.comments if c.moderated == -1)

    def with_groups(self, groups: Mapping[str, int]) -> PolisExport:
        """The same conversation with these group ids (e.g. ``Result.group_of()``)."""
        return replace(self, groups={p: str(g) for p, g in groups.items()})


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a whole number", code="bad_polis") from None


def _rows(path: Path, columns: Iterable[str]) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path.name} is missing from {path.parent}", code="bad_polis") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}", code="bad_polis") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path.name} lacks the columns {', '.join(missing)}", code="bad_polis")
    return list(reader)


def read_polis(directory: Path) -> PolisExport:
    """Read an export; bad files are refused with InputError naming the file and line."""
    comments = []
    for n, row in enumerate(_rows(directory / "comments.csv", COMMENT_COLUMNS), start=2):
        where = f"comments.csv line {n}"
        moderated = _int(row["moderated"], where)
        if moderated not in (-1, 0, 1):
            raise InputError(f"{where}: moderated is -1, 0 or 1", code="bad_polis")
        comments.append(
            PolisComment(
                timestamp=_int(row["timestamp"], where),
                comment_id=row["comment-id"],
                author_id=row["author-id"],
                agrees=_int(row["agrees"], where),
                disagrees=_int(row["disagrees"], where),
                moderated=moderated,
                body=row["comment-body"],
                datetime=row["datetime"],
            )
        )
    known = {c.comment_id for c in comments}
    if len(known) != len(comments):
        raise InputError("comments.csv lists a comment-id twice", code="bad_polis")
    votes = []
    for n, row in enumerate(_rows(directory / "votes.csv", VOTE_COLUMNS), start=2):
        where = f"votes.csv line {n}"
        value = _int(row["vote"], where)
        if value not in (-1, 0, 1):
            raise InputError(f"{where}: a vote is 1, -1 or 0, not {value}", code="bad_polis")
        if row["comment-id"] not in known:
            raise InputError(
                f"{where}: comment {row['comment-id']!r} is not in comments.csv", code="bad_polis"
            )
        votes.append(
            PolisVote(
                timestamp=_int(row["timestamp"], where),
                comment_id=row["comment-id"],
                voter_id=row["voter-id"],
                vote=value,
                datetime=row["datetime"],
            )
        )
    groups: dict[str, str] = {}
    if (directory / "participants-votes.csv").exists():
        for row in _rows(directory / "participants-votes.csv", ("participant", "group-id")):
            groups[row["participant"]] = row["group-id"]
    summary: list[tuple[str, str]] = []
    if (directory / "summary.csv").exists():
        with (directory / "summary.csv").open(encoding="utf-8", newline="") as fh:
            summary = [
                (line[0], line[1] if len(line) > 1 else "") for line in csv.reader(fh) if line
            ]
    return PolisExport(tuple(comments), tuple(votes), groups, tuple(summary))


def _when(ms: int) -> str:
    """Pol.is's datetime column, in UTC: ``Tue Jun 30 08:49:52 UTC 2015``."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _write(path: Path, header: Iterable[str] | None, rows: Iterable[Iterable[object]]) -> None:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    if header is not None:
        out.writerow(header)
    out.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_polis(directory: Path, export: PolisExport) -> None:
    """Write the four files into ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    _write(
        directory / "comments.csv",
        COMMENT_COLUMNS,
        (
            (c.timestamp, c.datetime or _when(c.timestamp), c.comment_id, c.author_id, c.agrees,
             c.disagrees, c.moderated, c.body)
            for c in export.comments
        ),
    )  # fmt: skip
    _write(
        directory / "votes.csv",
        VOTE_COLUMNS,
        (
            (v.timestamp, v.datetime or _when(v.timestamp), v.comment_id, v.voter_id, v.vote)
            for v in export.votes
        ),
    )
    latest = export.latest()
    columns = sorted((c.comment_id for c in export.comments), key=natural_key)
    authored: dict[str, int] = {}
    for c in export.comments:
        authored[c.author_id] = authored.get(c.author_id, 0) + 1
    rows = []
    for person in export.participants():
        cells = [latest.get((person, cid)) for cid in columns]
        values = [v.vote for v in cells if v is not None]
        rows.append(
            [person, export.groups.get(person, ""), authored.get(person, 0), len(values),
             values.count(1), values.count(-1)]
            + ["" if v is None else v.vote for v in cells]
        )  # fmt: skip
    _write(directory / "participants-votes.csv", PARTICIPANT_COLUMNS + tuple(columns), rows)
    _write(directory / "summary.csv", None, _summary(export))


def _summary(export: PolisExport) -> list[tuple[str, str]]:
    """The export's own summary lines, with any count it lacks filled in from the data."""
    given = dict(export.summary)
    voters = len(export.participants())
    computed = {
        "voters": str(voters),
        "voters-in-conv": str(voters),
        "commenters": str(len({c.author_id for c in export.comments})),
        "comments": str(len(export.comments)),
        "groups": str(len({g for g in export.groups.values() if g != ""})),
    }
    lines = list(export.summary)
    for key in SUMMARY_KEYS:
        if key not in given and key in computed:
            lines.append((key, computed[key]))
    return lines
