"""Root-cause localisation (``analysis/rootcause.py``) on Squeeze's B0 cases and on generated cases.

    python benchmarks/rca_b0.py                    # the 45 B0 cases in ../shared/data/rca-squeeze-b0
    python benchmarks/rca_b0.py --generated 100    # 100 generated cases per size preset
    python benchmarks/rca_b0.py --misses           # also list every case that is not an exact match

**Score** (as in the Squeeze and RiskLoc evaluations, and ``../shared/data/README.md``): the
ground truth of a case is the set of combinations in ``injection_info.csv``'s ``set`` column (``;``
between combinations, ``&`` between ``attr=value`` pairs; a combination listed twice counts once, as
in RiskLoc's ``score_root_causes``). A predicted combination is a true positive only if it equals a
true one exactly (pair order ignored); a parent or child of a true combination is a false positive
and leaves the true one a false negative. F1 = 2·ΣTP / (2·ΣTP + ΣFP + ΣFN), summed over the cases
of a setting and over all cases. Seconds per case time ``localize`` alone (the CSV is read before).

**Generated cases** follow the recipe of the RiskLoc paper (Kalander 2022, section on the synthetic
datasets), written here from its description, with fixed seeds (case i of preset p draws from
``numpy.random.default_rng([SEED, p, i])``):

- leaves: every combination of the preset's attributes (``S``: 5 attributes of 10, 12, 10, 8, 5
  values = 48,000 leaves, RiskLoc's S; ``H``: 4 attributes of 5, 250, 12, 8 values = 120,000
  leaves, with one attribute of 250 values; ``M``: 8 attributes of 6, 5, 4, 3, 3, 3, 4, 5 values =
  64,800 leaves, 92 cuboids up to layer 3);
- real values: Weibull(α) × 100 with α ~ U(0.5, 1); a share ~ U(0, 0.25) of the leaves set to 0;
- forecast: real × (1 + N(0, noise)), noise ~ U(0, 0.25); for a random half of the leaves real and
  forecast are swapped, so forecast errors go both ways; negative forecasts become 0;
- 1–3 anomalies; each fixes 1–3 attributes (a set of attributes not used by an earlier anomaly)
  and holds 1–3 distinct combinations of their values, none sharing a value of an attribute with an
  earlier anomaly and each with a non-zero forecast;
- severity s ~ U(0.2, 1.0) + noise and spread ~ U(0, 0.1) per anomaly; each leaf under it gets
  r ~ N(s, spread). The direction follows the normal forecast error (as in the paper): if Σreal <
  Σforecast, real = forecast × max(1 − r, 0) under the anomaly, else forecast = real ×
  max(1 − r, 0);
- the ground truth is the list of the anomalies' combinations.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from northstar.analysis.rootcause import localize

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/rca-squeeze-b0"
SEED = 20260101
PRESETS: dict[str, list[int]] = {"S": [10, 12, 10, 8, 5], "H": [5, 250, 12, 8], "M": [6, 5, 4, 3, 3, 3, 4, 5]}


def parse_truth(text: str) -> set[str]:
    """``b=b1&a=a2;c=c3`` → {"a=a2&b=b1", "c=c3"}: pairs sorted, duplicates merged."""
    return {"&".join(sorted(part.split("&"))) for part in str(text).split(";") if part}


def predicted(combinations: list[tuple[tuple[str, str], ...]]) -> set[str]:
    return {"&".join(sorted(f"{a}={v}" for a, v in combo)) for combo in combinations}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    seconds: list[float] = field(default_factory=list)

    def add(self, truth: set[str], guess: set[str], seconds: float) -> None:
        hit = len(truth & guess)
        self.tp += hit
        self.fp += len(guess) - hit
        self.fn += len(truth) - hit
        self.seconds.append(seconds)

    def row(self, name: str) -> str:
        f1 = 2 * self.tp / max(2 * self.tp + self.fp + self.fn, 1)
        precision = self.tp / max(self.tp + self.fp, 1)
        recall = self.tp / max(self.tp + self.fn, 1)
        secs = np.array(self.seconds)
        return (
            f"| {name} | {len(secs)} | {f1:.3f} | {precision:.3f} | {recall:.3f} | "
            f"{self.tp} | {self.fp} | {self.fn} | {secs.mean():.4f} | {secs.max():.4f} |"
        )


HEADER = (
    "| setting | cases | F1 | precision | recall | TP | FP | FN | s/case mean | s/case max |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def b0_cases() -> Iterator[tuple[str, str, pd.DataFrame, set[str]]]:
    for folder in sorted(p for p in DATA.iterdir() if p.is_dir()):
        info = pd.read_csv(folder / "injection_info.csv")
        for _, row in info.sort_values("timestamp").iterrows():
            leaves = pd.read_csv(folder / f"{row['timestamp']}.csv", dtype={d: str for d in "abcd"})
            yield folder.name, str(row["timestamp"]), leaves, parse_truth(row["set"])


def generate_case(sizes: list[int], rng: np.random.Generator) -> tuple[pd.DataFrame, set[str]]:
    """One case of the recipe in the module docstring: (leaves with real/predict, true combinations)."""
    attrs = [chr(ord("a") + i) for i in range(len(sizes))]
    grid = np.array(list(itertools.product(*[range(1, s + 1) for s in sizes])), dtype=np.int64)
    n = len(grid)
    zero_rate, noise = rng.uniform(0, 0.25), rng.uniform(0, 0.25)
    real = rng.weibull(rng.uniform(0.5, 1.0), n) * 100 * (rng.uniform(size=n) > zero_rate)
    predict = real * (1 + rng.normal(0, noise, n)) if noise > 0 else real.copy()
    swap = rng.integers(0, 2, n) == 1
    real, predict = np.where(swap, predict, real), np.where(swap, real, predict)
    predict = np.maximum(predict, 0.0)
    real = np.maximum(real, 0.0)
    down = real.sum() < predict.sum()
    used_sets: list[tuple[int, ...]] = []
    used_values: dict[int, set[int]] = {a: set() for a in range(len(sizes))}
    truth: set[str] = set()
    for _ in range(int(rng.integers(1, 4))):
        level = int(rng.integers(1, min(3, len(sizes)) + 1))
        n_elem = int(rng.integers(1, 4))
        severity, spread = rng.uniform(0.2, 1.0) + noise, rng.uniform(0, 0.1)
        for _attempt in range(100):
            cols = tuple(sorted(rng.choice(len(sizes), size=level, replace=False).tolist()))
            if cols in used_sets:
                continue
            free = [sorted(set(range(1, sizes[a] + 1)) - used_values[a]) for a in cols]
            if any(len(f) == 0 for f in free):
                continue
            elems = {tuple(int(rng.choice(f)) for f in free) for _ in range(n_elem)}
            masks = [
                np.logical_and.reduce([grid[:, a] == v for a, v in zip(cols, e, strict=True)]) for e in elems
            ]
            if all(predict[m].sum() > 0 and real[m].sum() > 0 for m in masks):
                break
        else:
            continue
        used_sets.append(cols)
        for e in elems:
            for a, v in zip(cols, e, strict=True):
                used_values[a].add(v)
            truth.add("&".join(sorted(f"{attrs[a]}={attrs[a]}{v}" for a, v in zip(cols, e, strict=True))))
        mask = np.logical_or.reduce(masks)
        r = rng.normal(severity, spread, int(mask.sum()))
        if down:
            real[mask] = predict[mask] * np.maximum(1 - r, 0.0)
        else:
            predict[mask] = real[mask] * np.maximum(1 - r, 0.0)
    frame = pd.DataFrame(
        {
            a: pd.Categorical.from_codes(grid[:, i] - 1, [f"{a}{v}" for v in range(1, sizes[i] + 1)])
            for i, a in enumerate(attrs)
        }
    )
    frame["real"], frame["predict"] = real, predict
    return frame, truth


def generated_cases(count: int) -> Iterator[tuple[str, str, pd.DataFrame, set[str]]]:
    for p, (name, sizes) in enumerate(PRESETS.items()):
        for i in range(count):
            leaves, truth = generate_case(sizes, np.random.default_rng([SEED, p, i]))
            yield name, str(i), leaves, truth


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import os

    return f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}"


def run(cases: Iterator[tuple[str, str, pd.DataFrame, set[str]]], misses: bool) -> str:
    tallies: dict[str, Tally] = {}
    overall = Tally()
    lines = []
    for setting, case, leaves, truth in cases:
        dims = [c for c in leaves.columns if c not in ("real", "predict")]
        start = time.perf_counter()
        result = localize(leaves, dims, "real", "predict")
        seconds = time.perf_counter() - start
        guess = predicted([c.combination for c in result.causes])
        tallies.setdefault(setting, Tally()).add(truth, guess, seconds)
        overall.add(truth, guess, seconds)
        if misses and guess != truth:
            lines.append(f"- {setting} {case}: truth {sorted(truth)}, found {sorted(guess)}")
    table = [HEADER, *[t.row(name) for name, t in tallies.items()], overall.row("**overall**")]
    return "\n".join(table + (["", *lines] if lines else []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--generated", type=int, metavar="N", help="run N generated cases per preset instead of B0"
    )
    ap.add_argument("--misses", action="store_true", help="list the cases that are not an exact match")
    args = ap.parse_args(argv)
    print(f"{date.today()}, {machine()}\n")
    if args.generated:
        print(run(generated_cases(args.generated), args.misses))
    else:
        if not DATA.is_dir():
            print(f"no data at {DATA}", file=sys.stderr)
            return 1
        print(run(b0_cases(), args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
