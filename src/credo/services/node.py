"""A data directory and the node on it: where a consortium's store, keys and vault live,
creating one (`init_consortium`), admitting members with key files, and opening its ledger.

Layout of a data directory::

    DIR/config.json        origin and operator id; where the store is when it is not
                           DIR/ledger.db (a PostgreSQL URL, never its password)
    DIR/ledger.db          the SQLite store (WAL beside it), unless `credo init --db URL`
                           put it in PostgreSQL
    DIR/keys/log.pem       the log's checkpoint signing key (PKCS#8 PEM, mode 0600)
    DIR/keys/<member>.pem  members' private keys, for demos and tests only
    DIR/vault.db           people's payloads, encrypted per subject (credo.vault; WAL beside it)
    DIR/master.key         the vault's master key (base64, mode 0600; CREDO_MASTER_KEY overrides),
                           for demos and tests: whoever copies DIR can open people's data.
                           With `credo init --hsm` there is none: the key is generated in a
                           PKCS#11 token, which does every key operation (credo.vault.hsm), and
                           config.json names only the module, token and key label
    DIR/accounts.db        people's portal sign-in state: enrolment codes, passkeys, sessions
                           (credo.store.accounts; not derived from the log, like the vault)
    DIR/keys/portal-form.key  the portal's key for pre-sign-in CSRF tokens (32 random bytes,
                           0600), with the other keys: every host serving the portal has it
    DIR/nonces.db          the nonces of members' signed requests lately accepted, shared by
                           the API processes of this host (credo.store.nonces)

With the store in PostgreSQL (``--db``), the vault's rows, the accounts and the signed
requests' nonces are there too, in tables of their own beside the ledger's, and DIR keeps only
config.json, keys/ and master.key: any API process on the database serves any person.

Every file is created owner-only (0600) and the directory 0700: it holds people's derived
metadata, sealed data and keys.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credo.errors import Conflict, EntryRejected, InputError
from credo.ledger import Ledger, Policy, Registry, standard_kinds
from credo.ledger.entries import envelope_json, make_envelope, public_key_b64
from credo.ledger.keys import MemberKey
from credo.ledger.lease import DEFAULT_SECONDS as DEFAULT_LEASE_SECONDS
from credo.ledger.lease import Lease
from credo.ledger.schema import rfc3339
from credo.ledger.sequencer import Accepted, Outcome
from credo.services.forwarding import Forwarder
from credo.services.policy import StandardPolicy
from credo.store import Store, is_postgres, open_store, store_at, without_password
from credo.tlog import NoteSigner
from credo.vault import Vault, generate_master_key_file, load_master_key
from credo.vault.hsm import Pkcs11Config, Pkcs11Key
from credo.vault.keys import ENV_VAR as MASTER_KEY_ENV
from credo.vault.keys import VaultKey

DEFAULT_ROLES: dict[str, list[str]] = {
    "bank": ["recorder", "reader", "provider", "voter"],
    "hospital": ["recorder", "reader", "voter"],
    "university": ["issuer", "recorder", "reader", "voter"],
    "government": ["issuer", "recorder", "reader", "voter"],
    "utility": ["recorder", "reader", "voter"],
    "transport": ["recorder", "reader", "provider", "voter"],
    "company": ["recorder", "reader", "provider", "voter"],
    "civil_society": ["voter", "witness"],
    "automotive": ["recorder", "reader", "provider", "voter"],
    "energy": ["recorder", "reader", "voter"],
    "hotel": ["reader", "provider", "voter"],
    "retail": ["reader", "provider", "voter"],
}
"""The roles a member of each sector gets unless told otherwise (`credo member add`, the
demo): what the sector records, reads and offers, and a vote; civil society votes and
witnesses. No sector is a registrar by default: issuing enrolment codes is given to a member
by name (`credo member add --role registrar`), to registry offices only."""


@dataclass(frozen=True)
class DataDir:
    root: Path
    store_url: str | None = None
    """Where the ledger's store is, given (`credo serve --db`): a PostgreSQL URL. The
    vault's rows, the accounts and the nonces go there too; keys and config stay in DIR."""

    @property
    def db(self) -> Path:
        return self.root / "ledger.db"

    @property
    def store_location(self) -> str | Path:
        """What `credo.store.open_store` opens for this data directory: the given
        `store_url`, else the one `credo init --db` wrote in config.json, else DIR/ledger.db."""
        if self.store_url:
            return self.store_url
        recorded = self.read_config().get("store") if self.config.exists() else None
        return str(recorded) if recorded else self.db

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
    def accounts(self) -> Path:
        return self.root / "accounts.db"

    def _shared(self) -> str | None:
        """The PostgreSQL URL people's data goes to, or None for files in DIR."""
        location = self.store_location
        return str(location) if is_postgres(location) else None

    @property
    def vault_location(self) -> str | Path:
        """Where the vault's rows are: the store's PostgreSQL database, else DIR/vault.db."""
        return self._shared() or self.vault

    @property
    def accounts_location(self) -> str | Path:
        """Where people's sign-in state is: the store's PostgreSQL database, else
        DIR/accounts.db."""
        return self._shared() or self.accounts

    @property
    def nonces_location(self) -> str | Path:
        """Where the API's request nonces are shared: the store's PostgreSQL database, else
        DIR/nonces.db, which every API process on this host shares (a replay to one is a
        replay to all, however many serve)."""
        return self._shared() or self.root / "nonces.db"

    @property
    def master_key(self) -> Path:
        return self.root / "master.key"

    def hsm(self) -> Pkcs11Config | None:
        """Where the vault's key lives when it is in a PKCS#11 token (`credo init --hsm`)."""
        found = self.read_config().get("vault_key")
        return None if found is None else Pkcs11Config.from_json(found)

    def open_vault_key(self, env: Mapping[str, str]) -> VaultKey:
        """The vault's key: in the token config.json names, else CREDO_MASTER_KEY or
        DIR/master.key. A data directory made with --hsm never falls back to a file key."""
        hsm = self.hsm()
        if hsm is not None:
            return Pkcs11Key.open(hsm, env)
        return load_master_key(self.master_key, env)

    def read_config(self) -> dict[str, Any]:
        if not self.config.exists():
            raise InputError(
                f"{self.root} is not a credo data directory (run `credo init` first)",
                code="no_data_dir",
            )
        config: dict[str, Any] = json.loads(self.config.read_text())
        return config


class Node:
    """One consortium's ledger and vault on one data directory; the API and the CLI hold one
    of these.

    The ledger is built with credo's standard kinds and policy unless others are passed, and
    with the vault (master key from CREDO_MASTER_KEY or DIR/master.key) as the opener of
    personal entries.

    Constructing one reads the data directory's config and keys and builds its parts, but
    opens, connects and starts nothing: `start` opens the store and the vault, starts the
    lease and the ledger (its workers and sequencer), in that order; `close` closes them in
    reverse. ``Node(data).start()``, or ``with Node(data) as node``.
    """

    def __init__(
        self,
        data: DataDir,
        *,
        workers: int = 0,
        kinds: Registry | None = None,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.time,
        advertise: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        vouch_key: bytes | None = None,
    ) -> None:
        """``advertise``: this process serves at that URL and sequences only while it holds
        the store's sequencer lease, forwarding to the holder otherwise (`credo serve`);
        without it, it writes whenever asked (the CLI). ``vouch_key``: the key it shares with
        its sibling serving processes (`credo.services.forwarding`)."""
        config = data.read_config()
        self.data = data
        self.operator: str = config["operator"]
        self.clock = clock
        """The one clock: the sequencer judges entries by it, the services write and show by it."""
        self._operator_key: MemberKey | None = None
        signer = NoteSigner(config["origin"], MemberKey.load(data.log_key).private_key)
        self.store = store_at(data.store_location)
        self.vault = Vault(data.vault_location, data.open_vault_key(os.environ))
        self.forwarder = Forwarder(vouch_key=vouch_key) if advertise else None
        self.lease = None if advertise is None else Lease(self.store, advertise, lease_seconds)
        self.ledger = Ledger(
            self.store,
            signer,
            kinds=kinds or standard_kinds(),
            policy=policy or StandardPolicy(),
            workers=workers,
            clock=clock,
            opener=self.vault,
            lease=self.lease,
            forward=self.forwarder,
        )
        self.origin = self.ledger.origin
        self.kinds = self.ledger.kinds
        self.sequencer = self.ledger.sequencer
        self.validator = self.ledger.validator
        self._running = ExitStack()

    def start(self) -> Node:
        """Open and start every part in order; if one fails, close those already started."""
        with ExitStack() as started:
            started.callback(self.store.close)
            self.store.open()
            if self.store.needs_rebuild():
                raise InputError(
                    f"{self.data.root} holds derived state from an earlier credo; "
                    f"run `credo rebuild --data {self.data.root}` once",
                    code="stale_state",
                )
            check_entry_format(self.store, self.data.root)
            started.callback(self.vault.close)
            self.vault.open()
            if self.forwarder is not None:
                started.callback(self.forwarder.close)
            if self.lease is not None:
                started.callback(self.lease.close)
                self.lease.start()
            started.callback(self.ledger.close)
            self.ledger.start()
            self._running = started.pop_all()
        return self

    def __enter__(self) -> Node:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def verifier_key(self) -> str:
        return self.ledger.verifier_key

    def is_sequencer(self) -> bool:
        """This process writes the log now (it holds the lease, or needs none)."""
        lease = self.sequencer.lease
        return lease is None or lease.role().active

    def submit(self, envelopes: list[dict[str, Any]]) -> list[Outcome]:
        return self.ledger.submit(envelopes)

    def operator_key(self) -> MemberKey:
        """The operator's signing key (consent manager, access recorder), from DIR/keys."""
        if self._operator_key is None:
            self._operator_key = MemberKey.load(self.data.member_key(self.operator))
        return self._operator_key

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
        """Close what `start` started, in reverse order; a second call does nothing."""
        self._running.close()


ENTRY_FORMAT = "2"
"""2: personal entries are tagged and sealed (`credo.ledger.personal`). 1 (credo before
2026-12): they carried subject refs and metadata in clear."""


def check_entry_format(store: Store, root: Path) -> None:
    """Refuse a data directory whose log holds entries of an earlier format.

    An old log cannot be migrated: its entries are signed by the members that wrote them and
    already public, so neither re-sealing them nor rewriting the log would unpublish what they
    say. Its data must be re-recorded in a new consortium.
    """
    found = store.get_meta("entry_format")
    if found == ENTRY_FORMAT:
        return
    if found is None and store.tree_size() == 0:
        with store.write() as tx:
            tx.set_meta("entry_format", ENTRY_FORMAT)
        return
    store.close()
    raise InputError(
        f"{root} holds a log in entry format {found or '1'}, whose personal entries name people "
        f"in clear; this credo writes format {ENTRY_FORMAT} and cannot serve it. Published "
        "entries cannot be unpublished, so there is no migration: create a new consortium "
        "with `credo init` (or `credo demo`) and record the data again",
        code="old_entry_format",
    )


def portal_form_key(data: DataDir) -> bytes:
    """DIR/keys/portal-form.key, created (32 random bytes, 0600, never overwritten) on first
    use: the key the portal MACs its pre-sign-in form tokens under. It sits with the other keys
    because every process and every host serving the portal needs the same one (a host's data
    directory is its configuration and keys), or a form issued by one is refused by another."""
    path = data.keys / "portal-form.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) != 32:
            raise InputError(f"{path} is not a 32-byte key; delete it", code="bad_key") from None
        return key
    key = os.urandom(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) and make it owner-only (0700), whatever the umask:
    the data directory holds people's derived metadata, sealed data and keys."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file created 0600 (owner-only) from the start, never world-readable
    for an instant as ``write_text`` then ``chmod`` would leave it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def init_consortium(
    root: Path,
    origin: str,
    operator: str = "operator",
    *,
    store_url: str | None = None,
    clock: Callable[[], float] = time.time,
    extra_config: dict[str, Any] | None = None,
    hsm: Pkcs11Config | None = None,
) -> Node:
    """Create a data directory: log key, operator key, genesis entry (and its checkpoint);
    the store at ``store_url`` (an empty PostgreSQL database) if given, else DIR/ledger.db.
    The node's sequencer runs on ``clock`` (the demo writes a history on a moving one);
    ``extra_config`` adds keys to config.json (the demo's ``"demo": true``). With ``hsm``
    the vault's key is generated in that PKCS#11 token (PIN from CREDO_HSM_PIN) and no key
    file is written; without it, DIR/master.key (unless CREDO_MASTER_KEY is set)."""
    data = DataDir(root, store_url)
    if data.config.exists() or (store_url is None and data.db.exists()):
        raise Conflict(f"{root} already holds a consortium", code="already_initialised")
    if store_url is not None:
        store = open_store(store_url)
        try:
            if store.tree_size() > 0:
                raise Conflict("that database already holds a log", code="already_initialised")
        finally:
            store.close()
    log_key = MemberKey.generate()
    op_key = MemberKey.generate()
    signer = NoteSigner(origin, log_key.private_key)  # validates the origin as a key name
    make_private_dir(root)
    if hsm is not None:
        if data.master_key.exists():
            raise Conflict(
                f"{data.master_key} exists; a data directory with its key in an HSM holds no "
                "key file",
                code="already_initialised",
            )
        Pkcs11Key.generate(hsm, os.environ).close()
        extra_config = {**(extra_config or {}), "vault_key": hsm.to_json()}
    elif not os.environ.get(MASTER_KEY_ENV) and not data.master_key.exists():
        generate_master_key_file(data.master_key)  # the demo's key; operators may supply theirs
    log_key.save(data.log_key)
    portal_form_key(data)  # with the other keys, so that every host copied from here shares it
    op_key.save(data.member_key(operator))
    config: dict[str, Any] = {**(extra_config or {}), "origin": origin, "operator": operator}
    if store_url is not None:
        config["store"] = without_password(store_url)  # the password stays with the operator
    write_private(data.config, json.dumps(config, indent=2) + "\n")
    node = Node(data, clock=clock).start()
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
    node.submit_one("genesis", operator, genesis, at=rfc3339(clock()))
    return node


def admit_member(node: Node, member_id: str, name: str, sector: str, roles: list[str]) -> MemberKey:
    """Admit a member signed by the operator, writing its new private key into DIR/keys."""
    path = node.data.member_key(member_id)
    if path == node.data.log_key:
        raise InputError(
            f"{member_id!r} is reserved: DIR/keys/{member_id}.pem holds the log's signing key",
            code="reserved_member_id",
        )
    if path.exists() or node.store.get_member(member_id) is not None:
        raise Conflict(f"member {member_id!r} already exists", code="member_exists")
    key = MemberKey.generate()
    body = {
        "id": member_id,
        "name": name,
        "sector": sector,
        "public_key": public_key_b64(key),
        "roles": roles,
    }
    node.submit_one("member.admit", node.operator, body)
    key.save(path)
    return key


def admit_members(
    node: Node,
    members: list[tuple[str, str, str, list[str]]],
    at: str | None = None,
    profiles: dict[str, tuple[dict[str, str], str]] | None = None,
) -> dict[str, MemberKey]:
    """`admit_member` for many ``(id, name, sector, roles)`` at once: the operator's
    ``member.admit`` entries go through one `Node.submit`, each outcome checked, and each new
    key is written into DIR/keys once its entry is accepted. ``profiles`` gives members their
    names by language and contact point: ``{id: (names, contact)}``."""
    op_key = MemberKey.load(node.data.member_key(node.operator))
    keys: dict[str, MemberKey] = {}
    envelopes = []
    for member_id, name, sector, roles in members:
        path = node.data.member_key(member_id)
        if path == node.data.log_key:
            raise InputError(f"{member_id!r} is reserved", code="reserved_member_id")
        if member_id in keys or path.exists() or node.store.get_member(member_id) is not None:
            raise Conflict(f"member {member_id!r} already exists", code="member_exists")
        key = keys[member_id] = MemberKey.generate()
        body: dict[str, object] = {
            "id": member_id,
            "name": name,
            "sector": sector,
            "public_key": public_key_b64(key),
            "roles": roles,
        }
        if profiles and member_id in profiles:
            body["names"], body["contact"] = profiles[member_id]
        envelopes.append(
            envelope_json(make_envelope("member.admit", node.operator, body, [op_key], at=at))
        )
    refused: EntryRejected | None = None
    for (member_id, *_), outcome in zip(members, node.submit(envelopes), strict=True):
        if isinstance(outcome, EntryRejected):
            refused = refused or outcome
        else:  # every accepted member gets its key file, whatever was refused beside it
            keys[member_id].save(node.data.member_key(member_id))
    if refused is not None:
        raise refused
    return keys
