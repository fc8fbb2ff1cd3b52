"""The write side of one log: its store, its sequencer and the validation in front of it,
built with what they need passed in (the kinds, the policy new entries are judged by, the
log's signing key). Where these come from (a data directory, key files) is
`credo.services.node`'s business."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from credo.errors import EntryRejected
from credo.ledger.lease import Lease
from credo.ledger.pool import Result, Validator
from credo.ledger.registry import Context, Opener, Policy, Registry
from credo.ledger.sequencer import Forward, Outcome, Sequencer
from credo.store import Store
from credo.tlog import NoteSigner, NoteVerifier


class Ledger:
    """Validates and sequences submissions. Constructing one starts nothing: `start` starts
    the validation workers and the sequencer, `close` stops them. The store, the opener and
    the lease are the caller's to open before and close after (`credo.services.node`)."""

    def __init__(
        self,
        store: Store,
        signer: NoteSigner,
        *,
        kinds: Registry,
        policy: Policy,
        workers: int = 0,
        clock: Callable[[], float] = time.time,
        opener: Opener | None = None,
        lease: Lease | None = None,
        forward: Forward | None = None,
    ) -> None:
        """``clock`` is the time new entries' ``at`` is judged against (tests move it);
        ``opener`` (the vault) reads personal entries: without it they are all refused;
        ``lease`` and ``forward``: this process sequences only while it holds the lease,
        and forwards to the holder otherwise (`credo.ledger.lease`)."""
        self.store = store
        self.signer = signer
        self.origin = signer.name
        self.kinds = kinds
        self.sequencer = Sequencer(
            store,
            signer,
            self.origin,
            Context(kinds, policy, opener),
            clock,
            lease=lease,
            forward=forward,
        )
        self.validator = Validator(store, kinds, workers)

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.verifier_key)

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]:
        """Validate and sequence, in-process; each entry answered on its own."""
        checked = self.validator.validate_entries(envelopes)
        valid = [c for c in checked if not isinstance(c, EntryRejected)]
        return self._counted(_merge(checked, self.sequencer.append_now(valid)))

    async def submit_body(
        self, body: bytes, *, forwardable: bool = True, vouched: bool = False
    ) -> list[Outcome]:
        """Validate a ``POST /v1/entries`` body (on the workers) and sequence what passed;
        ``forwardable=False`` for a body another process forwarded here, ``vouched`` when a
        sibling process verified its signatures (`credo.services.forwarding`)."""
        checked = await self.validator.validate_body(body, verify=not vouched)
        if vouched:
            self.sequencer.stats.count_vouched(len(checked))
        valid = [c for c in checked if not isinstance(c, EntryRejected)]
        submitted = self.sequencer.submit(valid, forwardable=forwardable)
        done: list[Outcome] = await asyncio.wrap_future(submitted)
        return self._counted(_merge(checked, done))

    def _counted(self, outcomes: list[Outcome]) -> list[Outcome]:
        self.sequencer.stats.outcomes(outcomes)
        return outcomes

    def start(self) -> Ledger:
        self.validator.start()
        self.sequencer.start()
        return self

    def close(self) -> None:
        self.sequencer.close()
        self.validator.close()


def _merge(checked: list[Result], sequenced: list[Outcome]) -> list[Outcome]:
    """One outcome per submitted entry: its refusal by validation, else the sequencer's."""
    done = iter(sequenced)
    return [c if isinstance(c, EntryRejected) else next(done) for c in checked]
