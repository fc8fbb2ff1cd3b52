"""The one settings class (pydantic-settings): every field described, read from CREDO_* env."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(os.environ.get("CREDO_DATA", "credo-data"))


CLIENT_KEEPALIVE_SECONDS = 0.4
"""How long credo's own HTTP clients (a member's, a mirror's, a standby process's forwarder)
keep an idle connection for the next request: well under the shortest keep-alive timeout
`credo serve` allows (``keep_alive_timeout``, at least 1 s; 5 s by default). At httpx's default
of 5 s, equal to the server's, a request could go out on a connection the server was closing
as idle and come back a ReadError, an outcome nobody can know: it happened to the forwarder
in `bench/bench_records.py --records 100000 --clients 16 --batch 500`."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDO_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Data directory created by `credo init`: ledger.db, keys/, config.json.",
    )
    db: str | None = Field(
        default=None,
        description="Where the ledger's store is instead of DATA_DIR/ledger.db: a PostgreSQL "
        "URL (postgresql://...), as `credo serve --db` gives it. Keys and the vault stay in "
        "the data directory.",
    )
    host: str = Field(default="127.0.0.1", description="Address `credo serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `credo serve` uses.")
    advertise: str | None = Field(
        default=None,
        description="The URL other credo processes sharing this store reach this one at, to "
        "forward submissions to it while it is the sequencer (`credo serve --advertise`); "
        "default http://HOST:PORT, with 127.0.0.1 for a wildcard HOST.",
    )
    lease_seconds: float = Field(
        default=2.0,
        ge=0.5,
        le=60,
        description="How long the sequencer's lease lasts unrenewed: when the sequencer dies, "
        "another process sharing the store takes over within about this plus a quarter.",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        description="Validation worker processes; 0 validates inside the server process.",
    )

    processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=256,
        description="Serving processes `credo serve` runs on one host, sharing its port (one "
        "a core by default): one sequences, the others forward submissions to it.",
    )
    max_in_flight: int = Field(
        default=32,
        ge=1,
        description="Requests one serving process works on at once; one more is answered 503 "
        "with Retry-After at once rather than queued behind them (/healthz, /readyz and "
        "/metrics are always answered). The requests in flight share one core, so each waits "
        "for about this many others: at 5 ms a page, 32 is 160 ms.",
    )
    max_lag: float = Field(
        default=0.5,
        gt=0,
        description="Seconds a serving process's event loop may fall behind (a request "
        "waiting that long to be looked at) before new requests are answered 503 with "
        "Retry-After at once, until it catches up.",
    )
    retry_after: int = Field(
        default=2,
        ge=1,
        le=3600,
        description="Seconds a refused (overloaded) request is told to wait (Retry-After).",
    )

    def advertised_url(self) -> str:
        """`advertise`, else this server's own address."""
        if self.advertise:
            return self.advertise.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # -- what `credo serve` allows each client (issue: no stranger can break it for others) --
    header_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds a connection has to send a complete request head (request line "
        "and headers), counted from when it opened or the previous response ended, however "
        "slowly it trickles in; then the server closes it.",
    )
    keep_alive_timeout: int = Field(
        default=5,
        ge=1,
        description="Seconds an idle keep-alive connection is kept open for its next request.",
    )
    body_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds a request body may stall (no bytes arriving) before the request "
        "is answered 408 request_timeout and the connection closed.",
    )
    witness_timeout: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Seconds the log waits for one witness to answer an add-checkpoint "
        "request before counting it as unavailable for that round.",
    )
    witness_retry: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Seconds between offers of a checkpoint short of its witness quorum to "
        "the witnesses missing, while no new checkpoint is published.",
    )
    limit_concurrency: int = Field(
        default=1000,
        ge=1,
        description="Most open connections (and requests in progress) at once; a request "
        "arriving beyond it is answered 503 by the HTTP server.",
    )
    public_url: str = Field(
        default="",
        description="The portal's public URL as people's browsers reach it (scheme://host[:port]): "
        "its host name is the WebAuthn relying party id passkeys are bound to, and its scheme, "
        "host and port the origin their responses must come from. Browsers allow passkeys only "
        "on https, or on http://localhost. Default http://localhost:PORT, the port served on "
        "(`credo serve --port`, `credo demo --port`).",
    )
    cooling_off_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 60,
        description="How long a new passkey registered with an enrolment code waits before it "
        "signs in, when the person already has one (unless approved from a device already "
        "signed in), and how long a recovery code's passkey waits before it replaces the "
        'others: the time the person has to say "this was not me" or to object.',
    )
    time_zone: str | None = Field(
        default=None,
        description="The IANA time zone the portal shows every time in (Asia/Bangkok), "
        "named on each; unset: the consortium's (time_zone in DIR/config.json), else UTC. "
        "Exports keep RFC 3339 in UTC.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="How `credo serve` logs to standard error: plain lines, or one JSON object "
        "per line (time, level, logger, message; an exception's type and stack, never its "
        "message). Neither ever carries a national id or a payload.",
    )

    @model_validator(mode="after")
    def _public_url_follows_the_port(self) -> Settings:
        """Unset, the portal's origin is the one served: http://localhost:PORT, so that a
        passkey made on `credo demo --port 8123` is checked against port 8123, not 8000."""
        if not self.public_url:
            self.public_url = f"http://localhost:{self.port}"
        return self
