"""Evidence of a rewritten history, kept as plain files anyone can check with any tlog tool.

``DIR/evidence/<reason>-<digest>/`` holds the checkpoint the mirror had verified
(``kept.checkpoint``), the one the log served that contradicts it (``served.checkpoint``),
both signed by the log's key; the consistency proof that fails between them
(``consistency-proof``, one base64 hash a line, as in a C2SP tlog-witness request) when
there is one, the tiles the proof was computed from under ``tiles/`` at their C2SP paths,
and ``report.txt`` saying what was checked. The directory is written under a temporary name
and renamed, so it is whole or absent; the same contradiction shown again is kept once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_BOTH = (
    "kept.checkpoint is the checkpoint this mirror had verified and served; served.checkpoint "
    "the one the log served after it. Both are signed by the log's key: check them with its "
    "verifier key (C2SP signed-note). A consistency proof between two checkpoints of one "
    "honest log always verifies (RFC 9162 section 2.1.4.2)."
)


def keep_evidence(
    directory: Path,
    reason: str,
    kept: bytes,
    served: bytes,
    report: str,
    proof: Sequence[bytes] = (),
    tiles: Mapping[str, bytes] | None = None,
) -> Path:
    """Write one evidence directory (see the module doc); its path."""
    digest = hashlib.sha256(kept + b"\n" + served).hexdigest()[:16]
    final = directory / f"{reason}-{digest}"
    if final.exists():
        return final
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    files: dict[str, bytes] = {
        "kept.checkpoint": kept,
        "served.checkpoint": served,
        "report.txt": f"{reason} (seen {stamp})\n\n{report}.\n\n{_BOTH}\n".encode(),
    }
    if proof:
        files["consistency-proof"] = b"".join(base64.b64encode(h) + b"\n" for h in proof)
    for path, data in (tiles or {}).items():
        files[path] = data
    for name, data in files.items():
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    tmp.rename(final)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return final
