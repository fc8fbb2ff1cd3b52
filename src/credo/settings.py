"""The one settings class (pydantic-settings): every field described, read from CREDO_* env."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(os.environ.get("CREDO_DATA", "credo-data"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDO_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Data directory created by `credo init`: ledger.db, keys/, config.json.",
    )
    host: str = Field(default="127.0.0.1", description="Address `credo serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `credo serve` uses.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        description="Validation worker processes; 0 validates inside the server process.",
    )
