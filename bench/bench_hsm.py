"""Record preparation with the vault's key in a file and in a PKCS#11 token (SoftHSM2).

Preparing a record seals its payload and its entry's metadata: the vault looks the person up
(an HMAC), unwraps their data key, makes a fresh entry tag (AES-GCM) and, for a person new to
credo, wraps a new data key. With `credo init --hsm` each of those key operations is a call
into the token. This bench makes two consortia in a temporary directory, one per key, each
with one recording member, and times `People.prepare_record` in-process (no HTTP, no signing,
no sequencing: the part the key changes) over a pool of synthetic people, one in four new.
Runs alternate between the two keys, because a shared machine's speed drifts. It also times
each key operation alone.

    python bench/bench_hsm.py --records 2000 --runs 3

Needs Debian's softhsm2 (scripts/test installs it) and python-pkcs11.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "bench-pin-1234"


def _softhsm(directory: Path) -> str:
    """A SoftHSM2 token store of this run's own, with one token; its label."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the module is first initialised
    os.environ["CREDO_HSM_PIN"] = PIN
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", PIN,
         "--so-pin", secrets.token_hex(8)],
        check=True, capture_output=True,
    )  # fmt: skip
    return "bench"


def _consortium(root: Path, hsm: object | None) -> tuple[object, object, object]:
    from credo.services.node import admit_member, init_consortium
    from credo.services.people import People

    node = init_consortium(root, "bench.example/hsm", hsm=hsm)  # type: ignore[arg-type]
    key = admit_member(node, "bank", "Bench Bank", "bank", ["recorder", "reader"])
    return node, People.open(node), key


def _prepare_all(people: object, ids: list[str]) -> list[float]:
    """Prepare one record for each id; the seconds each took."""
    took = []
    for nid in ids:
        start = time.perf_counter()
        people.prepare_record(  # type: ignore[attr-defined]
            "bank", nid, "finance", "loan.repaid", {"amount": 1200, "on_time": True}
        )
        took.append(time.perf_counter() - start)
    return took


def _op_times(key: object, n: int) -> dict[str, float]:
    """Median microseconds of each key operation alone."""
    subject = secrets.token_hex(16)
    data_key = secrets.token_bytes(32)
    wrapped = key.wrap_data_key(subject, data_key)  # type: ignore[attr-defined]
    tag = key.entry_tag(subject)  # type: ignore[attr-defined]
    ops: dict[str, Callable[[], object]] = {
        "lookup (HMAC)": lambda: key.lookup("TH-1103700012345"),  # type: ignore[attr-defined]
        "wrap data key": lambda: key.wrap_data_key(subject, data_key),  # type: ignore[attr-defined]
        "unwrap data key": lambda: key.unwrap_data_key(subject, wrapped),  # type: ignore[attr-defined]
        "entry tag": lambda: key.entry_tag(subject),  # type: ignore[attr-defined]
        "resolve tag": lambda: key.tag_subject(tag),  # type: ignore[attr-defined]
    }
    out = {}
    for name, op in ops.items():
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            op()
            samples.append(time.perf_counter() - start)
        out[name] = statistics.median(samples) * 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per key, alternating")
    args = parser.parse_args()

    from credo.vault.hsm import Pkcs11Config

    with tempfile.TemporaryDirectory(prefix="credo-bench-hsm-") as tmp:
        base = Path(tmp)
        label = _softhsm(base / "hsm")
        setups = {
            "file key": _consortium(base / "file", None),
            "SoftHSM2": _consortium(base / "hsm-data", Pkcs11Config(MODULE, label)),
        }
        known = [f"BENCH-{n:06d}" for n in range(args.records)]
        results: dict[str, list[float]] = {name: [] for name in setups}
        medians: dict[str, list[float]] = {name: [] for name in setups}
        for run in range(args.runs):
            # three in four people already known (a record each), one in four new this run
            ids = [known[i] if i % 4 else f"NEW-{run}-{i:06d}" for i in range(args.records)]
            for name, (_, people, _) in setups.items():
                if run == 0:
                    _prepare_all(people, known[1::4] + known[2::4] + known[3::4])
                started = time.perf_counter()
                took = _prepare_all(people, ids)
                elapsed = time.perf_counter() - started
                results[name].append(args.records / elapsed)
                medians[name].append(statistics.median(took) * 1e6)
                print(
                    f"run {run + 1} {name:9}: {args.records / elapsed:8.0f} records/s, "
                    f"median {statistics.median(took) * 1e6:7.1f} us, "
                    f"p99 {sorted(took)[int(len(took) * 0.99)] * 1e6:7.1f} us",
                    flush=True,
                )
        print()
        for name in setups:
            print(
                f"{name:9}: median of runs {statistics.median(results[name]):8.0f} records/s, "
                f"{statistics.median(medians[name]):7.1f} us per record"
            )
        print()
        print("one key operation alone (median us over 2000):")
        ops = {name: _op_times(node.vault._master, 2000) for name, (node, _, _) in setups.items()}  # type: ignore[attr-defined]
        for op in ops["file key"]:
            print(
                f"  {op:16} file {ops['file key'][op]:7.1f}   SoftHSM2 {ops['SoftHSM2'][op]:7.1f}"
            )
        for node, people, _ in setups.values():
            people.close()  # type: ignore[attr-defined]
            node.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
