"""Dependency aliases (full-stack-fastapi-template habit): routes say what they need by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from credo.ledger.node import Ledger
from credo.store.base import Store


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def get_store(request: Request) -> Store:
    store: Store = request.app.state.ledger.store
    return store


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
StoreDep = Annotated[Store, Depends(get_store)]
