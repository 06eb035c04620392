"""Root causes on wide, sparse data: 20 dimensions of 5–3,000 values over about 1M event rows,
through the real ``Project.explain(..., by=[all 20])`` path (engine GROUP BYs, then the search).

    python benchmarks/rca_wide.py               # 5 cases of 1M rows (Parquet cached in benchmarks/.data/)
    python benchmarks/rca_wide.py --cases 2 --rows 200000

**Data** (case i draws from ``numpy.random.default_rng([SEED, i])``): one ``events`` source, two
days (2026-05-19 the baseline, 2026-05-20 the day explained, ``vs="previous"``), ``rows / 2``
events per day before the causes act. Dimension ``dNN`` has :data:`CARDINALITIES`\\[NN] values
``dNN_0 … dNN_{k-1}`` drawn independently per row with Zipf-like probabilities ∝ 1/(v + 2)
(a few big values, a long tail of tiny ones, as real traffic sources, pages or campaigns are).
Noise beyond Poisson sampling: on the explained day each value's probability is multiplied by
exp(N(0, :data:`JITTER`)) (every value of every dimension moves a few per cent from day to day).

**Causes**: :data:`N_CAUSES` per case, one each at layer 1, 2 and 3 (then random layers), on
dimensions no earlier cause used; each value is drawn from the dimension's 8 largest (so the
combination holds at least :data:`MIN_ROWS` events a day — smaller slices are below what any
method can tell from Poisson noise at this size); each removes a share ~ U(0.3, 0.9) of the events
under it on the explained day. Case 0 always holds ``d03=d03_2 & d07=d07_1``, the combination the
first version missed. The ground truth is the set of combinations.

**Score**: as ``rca_b0.py`` (exact combination match, F1 = 2ΣTP / (2ΣTP + ΣFP + ΣFN)); seconds
time ``Project.explain`` on DuckDB (the Parquet is read by the engine; the project is loaded
before), the leaf search included. Below the table: the CPU seconds of the same calls (every
thread of the process: DuckDB's and the compiled passes'), which depend less on other work on the
machine than the wall-clock seconds do, and the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rca_b0 import HEADER, Tally, machine, predicted

from northstar.project import Project

SEED = 20261127
CARDINALITIES = [5, 12, 40, 6, 300, 9, 1000, 8, 25, 3000, 7, 60, 150, 5, 2000, 18, 500, 10, 100, 30]
JITTER = 0.03
N_CAUSES = 4
MIN_ROWS = 300
DAY = date(2026, 5, 20)
DATA = Path(__file__).resolve().parent / ".data"


def _dims() -> list[str]:
    return [f"d{i:02d}" for i in range(len(CARDINALITIES))]


def _probabilities(k: int) -> np.ndarray:
    p = 1.0 / (np.arange(k) + 2.0)
    return p / p.sum()


def _causes(case: int, rng: np.random.Generator, per_day: int) -> list[tuple[dict[int, int], float]]:
    """[(dimension → value code, share removed)] as the module docstring says."""
    causes: list[tuple[dict[int, int], float]] = []
    used: set[int] = set()
    if case == 0:
        causes.append(({3: 2, 7: 1}, float(rng.uniform(0.3, 0.9))))
        used |= {3, 7}
    layers = [1, 2, 3] + [int(rng.integers(1, 4)) for _ in range(N_CAUSES)]
    for layer in layers:
        if len(causes) >= N_CAUSES:
            break
        if case == 0 and layer == 2:
            continue
        for _attempt in range(1000):
            free = [d for d in range(len(CARDINALITIES)) if d not in used]
            cols = rng.choice(free, size=layer, replace=False)
            combo = {int(d): int(rng.integers(0, min(8, CARDINALITIES[d]))) for d in cols}
            share = np.prod([_probabilities(CARDINALITIES[d])[v] for d, v in combo.items()])
            if share * per_day >= MIN_ROWS:
                break
        else:
            continue
        causes.append((combo, float(rng.uniform(0.3, 0.9))))
        used |= set(combo)
    return causes


def generate(case: int, rows: int, jitter: float = JITTER) -> tuple[Path, set[str]]:
    """The case's Parquet (written once under benchmarks/.data/) and its true combinations."""
    rng = np.random.default_rng([SEED, case])
    per_day = rows // 2
    causes = _causes(case, rng, per_day)
    dims = _dims()
    truth = {"&".join(sorted(f"{dims[d]}={dims[d]}_{v}" for d, v in combo.items())) for combo, _ in causes}
    path = DATA / f"rca_wide_{rows}_case{case}_jitter{jitter:g}_seed{SEED}_v1.parquet"
    if path.exists():
        return path, truth
    DATA.mkdir(parents=True, exist_ok=True)
    codes: dict[str, np.ndarray] = {}
    for i, k in enumerate(CARDINALITIES):
        p = _probabilities(k)
        jittered = p * np.exp(rng.normal(0.0, jitter, k))
        jittered /= jittered.sum()
        codes[dims[i]] = np.concatenate(
            [rng.choice(k, size=per_day, p=p), rng.choice(k, size=per_day, p=jittered)]
        )
    today = np.arange(2 * per_day) >= per_day
    keep = np.ones(2 * per_day, dtype=bool)
    for combo, removed in causes:
        under = today.copy()
        for d, v in combo.items():
            under &= codes[dims[d]] == v
        keep &= ~(under & (rng.uniform(size=len(keep)) < removed))
    start = datetime.combine(DAY - timedelta(days=1), datetime.min.time())
    seconds = rng.integers(0, 86400, 2 * per_day) + np.where(today, 86400, 0)
    frame = pd.DataFrame({"ts": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")})
    for i, k in enumerate(CARDINALITIES):
        labels = [f"{dims[i]}_{v}" for v in range(k)]
        frame[dims[i]] = pd.Categorical.from_codes(codes[dims[i]], labels)
    frame = frame[keep].sample(frac=1.0, random_state=case).reset_index(drop=True)  # rows out of order
    frame.to_parquet(path, index=False)
    return path, truth


def project_for(parquet: Path, folder: Path) -> Project:
    spec = {
        "project": {"name": "wide", "timezone": "UTC"},
        "sources": {"events": {"path": str(parquet), "time": "ts"}},
        "dimensions": {d: {} for d in _dims()},
        "metrics": {"events": {"type": "count", "source": "events"}},
    }
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=5)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--jitter", type=float, default=JITTER, help="day-to-day relative wobble of each value")
    ap.add_argument("--misses", action="store_true", help="list the cases that are not an exact match")
    args = ap.parse_args(argv)
    print(f"{date.today()}, {machine()}\n")
    load_start = os.getloadavg()[0]
    overall = Tally()
    cpu: list[float] = []
    lines = []
    for case in range(args.cases):
        parquet, truth = generate(case, args.rows, args.jitter)
        with tempfile.TemporaryDirectory() as tmp:
            project = project_for(parquet, Path(tmp))
            start, cpu_start = time.perf_counter(), time.process_time()
            result = project.explain("events", day=DAY, vs="previous", by=_dims())
            seconds = time.perf_counter() - start
            cpu.append(time.process_time() - cpu_start)
        assert result.causes is not None
        guess = predicted([c.combination for c in result.causes.causes])
        overall.add(truth, guess, seconds)
        if args.misses and guess != truth:
            lines.append(f"- case {case}: truth {sorted(truth)}, found {sorted(guess)}")
    print(
        "\n".join(
            [HEADER, overall.row(f"{args.rows:,} rows, jitter {args.jitter:g}")]
            + (["", *lines] if lines else [])
        )
    )
    print(
        f"\nCPU seconds per case (every thread of this process): mean {np.mean(cpu):.2f}, max {max(cpu):.2f}; "
        f"load average (1 min) {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
