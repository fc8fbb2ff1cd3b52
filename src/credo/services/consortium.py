"""The consortium as the public sees it: members by sector, the rules and their history, the
proposals open and their votes, the log's latest checkpoint, and the programme's figures.

Nothing here concerns a person: every figure is a count over everyone. The figures are
recomputed only when the log has grown (`Store.tree_size`: every change of derived state is
an entry), so a busy public page costs one integer read per view.
"""

from __future__ import annotations

import json
import statistics
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credo.store import Store

ACCESS_ROLES = ("reader", "provider")
"""Members whose reads or benefit questions are logged as accesses to people's data."""


def _days_between(start: str, end: str) -> float:
    opened = datetime.fromisoformat(start.replace("Z", "+00:00"))
    closed = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (closed - opened).total_seconds() / 86400


@dataclass
class Consortium:
    store: Store
    _cache: tuple[int, dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def overview(self) -> dict[str, Any]:
        version = self.store.tree_size()
        with self._lock:
            if self._cache is not None and self._cache[0] == version:
                return self._cache[1]
        built = self._build()
        with self._lock:
            self._cache = (version, built)
        return built

    def _build(self) -> dict[str, Any]:
        members = [m for m in self.store.list_members() if m.status == "active"]
        by_sector: dict[str, list[dict[str, Any]]] = {}
        for m in sorted(members, key=lambda m: (m.sector, m.name)):
            by_sector.setdefault(m.sector, []).append(
                {"id": m.id, "name": m.name, "roles": list(m.roles)}
            )
        sector_of = {m.id: m.sector for m in self.store.list_members()}
        stats = self.store.programme_stats()
        records_by_sector: dict[str, int] = {}
        for member, count in stats.records_by_member:
            sector = sector_of.get(member, "unknown")
            records_by_sector[sector] = records_by_sector.get(sector, 0) + count
        closed = [(o, c) for s, o, c in stats.disputes if s != "open" and c is not None]
        accessing = [m for m in members if set(m.roles) & set(ACCESS_ROLES)]
        reading = set(stats.reading_members)
        consultations = self.store.list_consultations()
        proposals = [
            {
                "id": p.id,
                "proposer": p.proposer,
                "action": p.action,
                "proposed_index": p.proposed_idx,
                "votes": [{"member": m, "vote": v} for m, v in self.store.list_votes(p.id)],
                "consultations": [c.id for c in consultations if c.proposal == p.id],
            }
            for p in self.store.list_proposals()
            if p.status == "open"
        ]
        checkpoint = self.store.latest_checkpoint()
        return {
            "members": {"total": len(members), "by_sector": by_sector},
            "rules": [
                {"hash": r.hash, "adopted_index": r.adopted_idx, "proposal": r.proposal_id}
                for r in reversed(self.store.rules_history())
            ],
            "proposals": proposals,
            "consultations": [
                {
                    "id": c.id,
                    "question": json.loads(c.question),
                    "proposal": c.proposal,
                    "closes_at": c.closes_at,
                    "closed": c.closed_idx is not None,
                }
                for c in reversed(consultations)
            ],
            "checkpoint": None if checkpoint is None else checkpoint.decode(),
            "programme": {
                "enrolled": stats.enrolled,
                "records_by_sector": dict(sorted(records_by_sector.items())),
                "disputes_opened": len(stats.disputes),
                "disputes_resolved": len(closed),
                "median_days_to_resolve": round(
                    statistics.median(_days_between(o, c) for o, c in closed), 1
                )
                if closed
                else None,
                "members_reporting_access": sum(1 for m in accessing if m.id in reading),
                "members_that_access": len(accessing),
            },
        }
