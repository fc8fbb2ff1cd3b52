"""Dependency aliases (full-stack-fastapi-template habit): routes say what they need by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from credo.api.auth import Authenticated, authenticate_request
from credo.ledger import Ledger
from credo.services.accounts import Accounts
from credo.services.people import People
from credo.store import Store


# Declared async because they do no I/O: FastAPI runs a plain `def` dependency on its thread
# pool, a thread hop on every request for what is an attribute read.
async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.node.ledger
    return ledger


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.node.store
    return store


async def get_accounts(request: Request) -> Accounts:
    """People's portal sign-in state (opened by the app's lifespan)."""
    accounts: Accounts = request.app.state.accounts
    return accounts


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
StoreDep = Annotated[Store, Depends(get_store)]


# -- people's data: the vault-backed service, and member authentication --------------------


async def get_people(request: Request) -> People:
    """The people's-data service over the node and its vault (made by the app's lifespan).
    It was a plain ``def`` that made it on first use: FastAPI ran it on its thread pool, a
    hop that was 5% of a record's server CPU one by one (py-spy, bench/profile_records.py)."""
    people: People = request.app.state.people
    return people


async def authenticate(request: Request) -> Authenticated:
    return await authenticate_request(
        request, request.app.state.node.store, request.app.state.nonces
    )


PeopleDep = Annotated[People, Depends(get_people)]
MemberDep = Annotated[Authenticated, Depends(authenticate)]
