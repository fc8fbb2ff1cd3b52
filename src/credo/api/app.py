"""`create_app(settings)` builds the FastAPI app; nothing connects or starts at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager

from fastapi import FastAPI

from credo import __version__
from credo.api import docs, problems
from credo.api.admission import Admission, Capacity
from credo.api.auth import NonceCache
from credo.api.limits import BodyLimits
from credo.api.metrics import metrics_registry
from credo.api.metrics import router as operations
from credo.api.openapi import CredoAPI
from credo.api.routes import (
    access,
    attestations,
    benefits,
    consents,
    entries,
    kinds,
    log,
    members,
    people,
    proofs,
    records,
    rules,
)
from credo.services.accounts import Accounts, relying_party
from credo.services.node import DataDir, Node
from credo.services.people import People
from credo.services.ratelimit import Limits
from credo.services.rescorer import Rescorer
from credo.services.witnessing import Witnessing
from credo.settings import Settings
from credo.store.nonces import nonces_at

Extension = Callable[[FastAPI], None]


def create_app(settings: Settings, extensions: Sequence[Extension] = ()) -> FastAPI:
    """The API's app; each of ``extensions`` then adds its own routes to it (the portal:
    ``credo.cli`` wires it in, since the API must not import the portal)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rp_id, origin = relying_party(settings.public_url)
        data = DataDir(settings.data_dir, settings.db)
        with ExitStack() as running:  # each part closed after those started after it
            node = Node(
                data,
                workers=settings.workers,
                advertise=settings.advertised_url(),
                lease_seconds=settings.lease_seconds,
                vouch_key=getattr(app.state, "vouch_key", None),  # credo.api.processes
            )
            running.enter_context(node)
            accounts = Accounts.open(
                data, rp_id=rp_id, origin=origin, cooling_off_hours=settings.cooling_off_hours
            )
            running.callback(accounts.close)
            node.validator.warm_up()
            rescorer = Rescorer(node.store, active=node.is_sequencer).start()
            running.callback(rescorer.close)
            node.sequencer.add_listener(rescorer.on_commit)
            witnessing = Witnessing(
                node.store,
                node.ledger.verifier,
                timeout=settings.witness_timeout,
                retry=settings.witness_retry,
                active=node.is_sequencer,
            ).start()
            running.callback(witnessing.close)
            node.sequencer.add_listener(witnessing.on_commit)
            # Out first: no more commits, so no more rescoring or witnessing work.
            running.callback(node.sequencer.close)
            app.state.node = node
            app.state.witnessing = witnessing
            app.state.metrics = metrics_registry(
                node.ledger, rescorer, witnessing, app.state.capacity
            )
            # Shared by every API process on a PostgreSQL store: a replay to one is a replay
            # to all (credo.store.nonces).
            app.state.nonces = NonceCache(store=nonces_at(data.nonces_location))
            running.callback(app.state.nonces.close)
            app.state.limits = Limits.standard()  # codes and passkey ceremonies (429 past them)
            app.state.people = People.open(node)  # reads nothing: its parts are the node's
            app.state.accounts = accounts  # people's portal sign-in (credo.services.accounts)
            try:
                yield
            finally:
                app.state.people.close()

    app = CredoAPI(
        title="credo",
        version=__version__,
        summary="A consortium ledger on a verifiable log (RFC 9162, C2SP tlog-tiles).",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by credo.api.docs, never from a CDN
        redoc_url=None,
    )
    problems.install(app)
    docs.install(app)
    app.add_middleware(BodyLimits, body_timeout=settings.body_timeout)
    app.include_router(operations)
    for module in (log, entries, kinds, proofs, attestations, members, rules):
        app.include_router(module.router)
    for module in (records, access, consents, benefits, people):  # signed (RFC 9421) member calls
        app.include_router(module.router)
    for extend in extensions:
        extend(app)
    # Outermost: a request the process cannot take is refused before anything else runs.
    app.state.capacity = Capacity(settings.max_in_flight, settings.max_lag, settings.retry_after)
    app.add_middleware(Admission, capacity=app.state.capacity)
    return app
