"""Benchmark the consultation analysis (credo.consultation) on real and synthetic matrices.

    python bench/bench_analysis.py [--polis ../shared/data/polis] [--repeat 3]
                                   [--sizes 10000x500,100000x1000] [--red-dwarf PYTHON]

Target (issue 29): a vTaiwan-sized update (1,921 voters x 197 statements, the full analysis
with the last result carried over) <= 1 s on this 2-core machine. Prints, for vTaiwan UberX
(Pol.is open data, CC BY 4.0, The Computational Democracy Project; read from
../shared/data/polis, never copied here): import, first analysis, update, result bytes,
verify, and the adjusted Rand index of our groups against the export's own group-id; then
the analysis time of synthetic matrices with vTaiwan-like sparsity (votes per participant
log-normal, median 15, like vTaiwan's mean of 26; a fifth of votes are passes; three
opinion camps in two dimensions).

``--red-dwarf PYTHON`` runs the polis-community red-dwarf package (installed in another
interpreter, e.g. ``python -m venv /tmp/rd && /tmp/rd/bin/pip install red-dwarf``) on the
same vTaiwan votes and compares its groups and time with ours.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from credo.consultation import (
    Params,
    PolisExport,
    VoteMatrix,
    analyse,
    matrix_bytes,
    previous_of,
    read_polis,
    result_bytes,
    verify,
)

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")

# Runs in the red-dwarf interpreter: its own Pol.is pipeline on the latest votes.
RED_DWARF = r"""
import csv, json, sys, time
from reddwarf.implementations.polis import run_pipeline
d = sys.argv[1]
latest = {}
for r in csv.DictReader(open(f"{d}/votes.csv", encoding="utf-8")):
    v = {"participant_id": int(r["voter-id"]), "statement_id": int(r["comment-id"]),
         "vote": int(r["vote"]), "modified": int(r["timestamp"])}
    key = (v["participant_id"], v["statement_id"])
    if key not in latest or v["modified"] >= latest[key]["modified"]:
        latest[key] = v  # red-dwarf refuses a changed vote's two rows: give it the latest
mod_out = [int(r["comment-id"]) for r in csv.DictReader(open(f"{d}/comments.csv",
           encoding="utf-8")) if r["moderated"] == "-1"]
wall, cpu = [], []
for seed in range(int(sys.argv[2])):
    t, c = time.perf_counter(), time.process_time()
    res = run_pipeline(votes=list(latest.values()), mod_out_statement_ids=mod_out,
                       random_state=seed)
    wall.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
labels = {str(p): int(c) for p, c in res.participants_df["cluster_id"].dropna().items()}
print(json.dumps({"wall": wall, "cpu": cpu, "labels": labels}))
"""


class Took:
    """Median wall and CPU seconds of some runs. The machine is shared (2 cores, other work
    running): the analysis holds itself to one thread, so its CPU time is what it would take
    alone, and the wall time is what it took beside the rest."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = statistics.median(wall), statistics.median(cpu)

    def __format__(self, spec: str) -> str:
        return f"{self.cpu:{spec or '.3f'}} s CPU ({self.wall:{spec or '.3f'}} s wall)"


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[T, Took]:
    """The last result and the median times over ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return out, Took(wall, cpu)


def ari(groups: dict[str, int], reference: dict[str, str]) -> tuple[float, int]:
    both = sorted(p for p in groups if reference.get(p, "") != "")
    return adjusted_rand_score([groups[p] for p in both], [reference[p] for p in both]), len(both)


def before(export: PolisExport, share: float) -> PolisExport:
    """The conversation as it stood before its last ``share`` of votes."""
    stamps = sorted(v.timestamp for v in export.votes)
    cut = stamps[int(len(stamps) * (1 - share))]
    return PolisExport(export.comments, tuple(v for v in export.votes if v.timestamp < cut))


def vtaiwan(polis: Path, repeat: int, red_dwarf: str | None) -> None:
    directory = polis / "vtaiwan.uberx"
    export, t_read = timed(lambda: read_polis(directory))
    matrix, t_matrix = timed(export.matrix)
    print(f"vTaiwan UberX: {matrix.shape[0]} voters x {matrix.shape[1]} statements analysed "
          f"({export.moderated_out()} moderated out), {matrix.n_votes} latest votes")  # fmt: skip
    print(f"  read_polis {t_read}, matrix {t_matrix}")
    params = Params()
    _, t_first = timed(lambda: analyse(matrix, params))  # includes imports' first use
    result, t_analyse = timed(lambda: analyse(matrix, params), repeat)
    print(f"  first analysis {t_first}; analysis, median of {repeat}: {t_analyse}")
    earlier = before(export, 0.02).matrix()
    last = analyse(earlier, params)
    update = Params(previous=previous_of(last))
    _, t_update = timed(lambda: analyse(matrix, update), repeat)
    verdict = "meets" if t_update.cpu <= 1.0 else "MISSES"
    print(f"  update (the last 2% of votes arrive, the last result carried over), median of "
          f"{repeat}: {t_update} ({verdict} the 1 s target)")  # fmt: skip
    data, t_bytes = timed(lambda: result_bytes(result))
    _, t_verify = timed(lambda: verify(matrix, params, data))
    _, t_hash = timed(lambda: matrix_bytes(matrix))
    print(f"  result document {len(data):,} bytes ({t_bytes}); matrix document "
          f"{len(matrix_bytes(matrix)):,} bytes ({t_hash}); verify {t_verify}")  # fmt: skip
    ours = result.group_of()
    score, n = ari(ours, dict(export.groups))
    pol_is = analyse(matrix, Params(zeroed_statements=export.moderated_out()))
    score_z, _ = ari(pol_is.group_of(), dict(export.groups))
    print(f"  groups: {len(result.groups)} (Pol.is: "
          f"{len({g for g in export.groups.values() if g})}); ARI vs the export's group-id "
          f"over {n} participants: {score:.3f} (zeroed_statements=0), {score_z:.3f} "
          f"(zeroed_statements={export.moderated_out()}, as Pol.is)")  # fmt: skip
    bridging = [s.id for s in result.statements if s.bridging and s.bridging.bridging]
    tested = sum(s.divisive is not None for s in result.statements)
    print(f"  consensus agree {list(result.consensus.agree)}, bridging {bridging}, "
          f"divisive {len(result.divisive)} of {tested} tested")  # fmt: skip
    if red_dwarf:
        out = subprocess.run(
            [red_dwarf, "-c", RED_DWARF, str(directory), str(repeat)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rd = json.loads(out.stdout.strip().splitlines()[-1])
        labels: dict[str, int] = rd["labels"]
        rd_score, rd_n = ari(labels, dict(export.groups))
        vs_ours, _ = ari(labels, {p: str(g) for p, g in pol_is.group_of().items()})
        took = Took(rd["wall"], rd["cpu"])
        print(f"  red-dwarf {rd_version(red_dwarf)}: {took} per run, median of {repeat} "
              f"(ours {t_analyse}), {len(set(labels.values()))} groups over {len(labels)} "
              f"participants; ARI vs the export {rd_score:.3f} ({rd_n}), vs ours as Pol.is "
              f"{vs_ours:.3f}")  # fmt: skip


def rd_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('red-dwarf'))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def synthetic(n_p: int, n_s: int, seed: int = 0) -> VoteMatrix:
    """Three opinion camps in two dimensions; votes per participant log-normal (median 15),
    statements drawn uniformly (Pol.is routing spreads votes), a fifth of votes passes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.5, (3, 2))
    pos = centres[rng.integers(0, 3, n_p)] + rng.normal(0.0, 0.7, (n_p, 2))
    load, bias = rng.normal(0.0, 1.0, (n_s, 2)), rng.normal(0.6, 0.8, n_s)
    k = np.clip(np.round(rng.lognormal(np.log(15), 1.0, n_p)), 1, n_s).astype(np.int64)
    rows = np.repeat(np.arange(n_p), k)
    cols = rng.integers(0, n_s, rows.size)
    _, first = np.unique(rows * n_s + cols, return_index=True)
    rows, cols = rows[first], cols[first]
    p_agree = 1.0 / (1.0 + np.exp(-(bias[cols] + (pos[rows] * load[cols]).sum(axis=1))))
    values = np.where(rng.random(rows.size) < p_agree, 1, -1)
    values[rng.random(rows.size) < 0.2] = 0
    languages = ["en", "th", "zh-Hans", "zh-Hant"]
    shown = rng.integers(0, 4, n_p)[rows]
    return VoteMatrix.from_arrays(
        [str(i) for i in range(n_s)], [f"p{i}" for i in range(n_p)], rows, cols, values,
        languages, shown,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polis", type=Path, default=REPO.parent / "shared" / "data" / "polis")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10000x500,100000x1000")
    parser.add_argument("--red-dwarf", metavar="PYTHON", help="an interpreter with red-dwarf")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if (args.polis / "vtaiwan.uberx" / "votes.csv").exists():
        vtaiwan(args.polis, args.repeat, args.red_dwarf)
    else:
        print(f"vTaiwan: no Pol.is data at {args.polis} (--polis DIR)")
    for size in filter(None, args.sizes.split(",")):
        n_p, n_s = (int(x) for x in size.split("x"))
        matrix, t_gen = timed(lambda n_p=n_p, n_s=n_s: synthetic(n_p, n_s))
        result, t_analyse = timed(lambda m=matrix: analyse(m), 1)
        _, t_bytes = timed(lambda m=matrix: matrix_bytes(m))
        print(f"synthetic {n_p:,} x {n_s:,}: {matrix.n_votes:,} votes "
              f"({matrix.n_votes / (n_p * n_s):.1%} of cells; generated in {t_gen:.1f}): "
              f"analysis {t_analyse:.2f} (of which the matrix document {t_bytes:.2f}), "
              f"{result.clustered:,} clustered, {len(result.groups)} groups, "
              f"{len(result_bytes(result)):,} result bytes")  # fmt: skip


if __name__ == "__main__":
    main()
