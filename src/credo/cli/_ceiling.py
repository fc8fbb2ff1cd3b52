"""This machine's Ed25519 verification ceiling: libsodium (PyNaCl) on every core at once."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import nacl.bindings
import nacl.signing


def _verify_for(seconds: float) -> tuple[int, float]:
    key = nacl.signing.SigningKey.generate()
    public = bytes(key.verify_key)
    signed = [key.sign(os.urandom(400)) for _ in range(256)]
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for sm in signed:
            nacl.bindings.crypto_sign_open(bytes(sm), public)
        done += len(signed)
    return done, elapsed


def verification_ceiling(seconds: float = 2.0, processes: int | None = None) -> float:
    """Verifications per second summed over ``processes`` (default: all cores)."""
    n = processes or os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n, mp_context=ctx) as pool:
        list(pool.map(_verify_for, [0.05] * n))  # start the workers before timing
        results = list(pool.map(_verify_for, [seconds] * n))
    return sum(done / elapsed for done, elapsed in results)
