"""SoftHSM2 tokens for tests: a token directory of the test's own, a token in it, and the
environment (SOFTHSM2_CONF, CREDO_HSM_PIN) that points credo at it.

SoftHSM2 reads its configuration and scans its tokens when the PKCS#11 library is initialised,
so after making a token (or switching to another machine's directory) the already-loaded
library is initialised again. Debian's `softhsm2` package provides the module and
`softhsm2-util`; scripts/test installs it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest

from credo.vault.hsm import PIN_ENV, Pkcs11Config

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "2468-test-pin"


@dataclass(frozen=True)
class Token:
    config: Pkcs11Config
    conf_file: Path


def use_token_dir(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make ``directory`` this process's SoftHSM2 token store ("this machine's HSM")."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.setenv(PIN_ENV, PIN)
    _reload()
    return conf


def make_token(directory: Path, monkeypatch: pytest.MonkeyPatch, label: str = "credo") -> Token:
    """A fresh, empty token labelled ``label`` in ``directory``'s token store."""
    conf = use_token_dir(directory, monkeypatch)
    assert Path(MODULE).exists(), f"{MODULE} is missing: apt-get install softhsm2"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN,
         "--so-pin", secrets.token_hex(8)],
        check=True, capture_output=True, env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )  # fmt: skip
    _reload()
    return Token(Pkcs11Config(MODULE, label), conf)


def _reload() -> None:
    """Initialise the loaded library again: it reads SOFTHSM2_CONF and its tokens anew."""
    if MODULE in pkcs11._loaded:
        pkcs11.lib(MODULE).reinitialize()
