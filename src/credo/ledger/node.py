"""One consortium's ledger on one data directory: store, sequencer and validation wired up.

Layout of a data directory::

    DIR/config.json        origin and operator id (no secrets)
    DIR/ledger.db          the SQLite store (WAL beside it)
    DIR/keys/log.pem       the log's checkpoint signing key (PKCS#8 PEM, mode 0600)
    DIR/keys/<member>.pem  members' private keys, for demos and tests only
    DIR/vault.db           people's payloads, encrypted per subject (credo.vault; WAL beside it)
    DIR/master.key         the vault's master key (base64, mode 0600; CREDO_MASTER_KEY overrides)
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credo.errors import Conflict, EntryRejected, InputError
from credo.ledger.entries import envelope_json, make_envelope, public_key_b64
from credo.ledger.keys import MemberKey
from credo.ledger.pool import Validator
from credo.ledger.sequencer import Accepted, Outcome, Sequencer
from credo.store.sqlite import SqliteStore
from credo.tlog import NoteSigner, NoteVerifier
from credo.vault import generate_master_key_file
from credo.vault.keys import ENV_VAR as MASTER_KEY_ENV


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "ledger.db"

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    def member_key(self, member_id: str) -> Path:
        return self.keys / f"{member_id}.pem"

    @property
    def log_key(self) -> Path:
        return self.keys / "log.pem"

    @property
    def vault(self) -> Path:
        return self.root / "vault.db"

    @property
    def master_key(self) -> Path:
        return self.root / "master.key"

    def read_config(self) -> dict[str, Any]:
        if not self.config.exists():
            raise InputError(
                f"{self.root} is not a credo data directory (run `credo init` first)",
                code="no_data_dir",
            )
        config: dict[str, Any] = json.loads(self.config.read_text())
        return config


class Ledger:
    """The write side of one consortium; the API and CLI hold one of these."""

    def __init__(self, data: DataDir, *, workers: int = 0) -> None:
        config = data.read_config()
        self.data = data
        self.origin: str = config["origin"]
        self.operator: str = config["operator"]
        self.store = SqliteStore(data.db)
        if self.store.needs_rebuild():
            self.store.close()
            raise InputError(
                f"{data.root} holds derived state from an earlier credo; "
                f"run `credo rebuild --data {data.root}` once",
                code="stale_state",
            )
        self.signer = NoteSigner(self.origin, MemberKey.load(data.log_key).private_key)
        self.sequencer = Sequencer(self.store, self.signer, self.origin)
        self.validator = Validator(self.store, str(data.db), workers)

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_vkey(self.verifier_key)

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]:
        """Validate and sequence, in-process; each entry answered on its own."""
        checked = self.validator.validate_entries(envelopes)
        return self._sequence(checked)

    async def submit_body(self, body: bytes) -> list[Outcome]:
        checked = await self.validator.validate_body(body)
        valid = [c for c in checked if not isinstance(c, EntryRejected)]
        done: list[Outcome] = await asyncio.wrap_future(self.sequencer.submit(valid))
        answers = iter(done)
        return [c if isinstance(c, EntryRejected) else next(answers) for c in checked]

    def _sequence(self, checked: list[Any]) -> list[Outcome]:
        valid = [c for c in checked if not isinstance(c, EntryRejected)]
        done = iter(self.sequencer.append_now(valid))
        return [c if isinstance(c, EntryRejected) else next(done) for c in checked]

    def submit_one(
        self,
        kind: str,
        by: str,
        body: dict[str, Any],
        *,
        at: str | None = None,
        key: MemberKey | None = None,
    ) -> Accepted:
        """Sign (with ``key``, else the member's key from DIR/keys) and sequence one entry;
        raise if it is refused."""
        signer = key or MemberKey.load(self.data.member_key(by))
        envelope = make_envelope(kind, by, body, [signer], at=at)
        outcome = self.submit([envelope_json(envelope)])[0]
        if isinstance(outcome, EntryRejected):
            raise outcome
        return outcome

    def close(self) -> None:
        self.sequencer.close()
        self.validator.close()
        self.store.close()


def init_consortium(root: Path, origin: str, operator: str = "operator") -> Ledger:
    """Create a data directory: log key, operator key, genesis entry (and its checkpoint)."""
    data = DataDir(root)
    if data.config.exists() or data.db.exists():
        raise Conflict(f"{root} already holds a consortium", code="already_initialised")
    log_key = MemberKey.generate()
    op_key = MemberKey.generate()
    signer = NoteSigner(origin, log_key.private_key)  # validates the origin as a key name
    root.mkdir(parents=True, exist_ok=True)
    if not os.environ.get(MASTER_KEY_ENV) and not data.master_key.exists():
        generate_master_key_file(data.master_key)  # the demo's key; operators may supply theirs
    log_key.save(data.log_key)
    op_key.save(data.member_key(operator))
    data.config.write_text(json.dumps({"origin": origin, "operator": operator}, indent=2) + "\n")
    ledger = Ledger(data)
    genesis = {
        "origin": origin,
        "log_key": signer.verifier_key(),
        "operator": {
            "id": operator,
            "name": "Consortium operator",
            "sector": "operator",
            "public_key": public_key_b64(op_key),
            "roles": ["admin", "issuer", "voter"],
        },
    }
    ledger.submit_one("genesis", operator, genesis)
    return ledger


def admit_member(
    ledger: Ledger, member_id: str, name: str, sector: str, roles: list[str]
) -> MemberKey:
    """Admit a member signed by the operator, writing its new private key into DIR/keys."""
    path = ledger.data.member_key(member_id)
    if path.exists() or ledger.store.get_member(member_id) is not None:
        raise Conflict(f"member {member_id!r} already exists", code="member_exists")
    key = MemberKey.generate()
    body = {
        "id": member_id,
        "name": name,
        "sector": sector,
        "public_key": public_key_b64(key),
        "roles": roles,
    }
    ledger.submit_one("member.admit", ledger.operator, body)
    key.save(path)
    return key
