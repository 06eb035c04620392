"""The detector (``northstar.analysis.detector``) on NAB v1.1, and on the demo's incidents.

    python benchmarks/nab.py                 # all 58 NAB files, 3 profiles, then the demo
    python benchmarks/nab.py --skip-demo     # NAB only
    python benchmarks/nab.py --nab ../shared/data/nab
    python benchmarks/nab.py --skip-demo --plateau   # + every constant moved by ±50 %
    python benchmarks/nab.py --skip-demo --folds     # + each category scored at a threshold set without it

Steps:

1. read each ``data/<category>/<file>.csv`` and score it with ``detector.score`` (one pass, the
   same parameters for every file; the text reasons are built too, so the time is the real
   cost); the seconds for all 58 files are printed;
2. score the detections with ``nab_score.py`` (NAB's definition, see its docstring): one
   threshold per profile chosen by the sweep over the whole corpus, the normalised corpus
   score, and per category at that threshold (a category against its own Null and Perfect);
   the Null and Perfect detectors are scored too, as a check (0 and 100);
3. with ``--folds``: held-out categories: for each category with windows, the standard
   threshold chosen by the sweep over the other categories only, then the left-out category
   scored at it (normalised against its own Null and Perfect);
4. with ``--plateau``: the corpus scores again with each of the detector's constants moved by
   −50 % and +50 % (one at a time; ``RED`` by ±50 % of its exponent), to see whether the figure
   sits on a plateau or on a peak fitted to this corpus;
5. the demo: daily series of the incident metrics (overall and for the incident's slice), the
   detector on each, and precision / recall of flagged days (score ≥ 0.5, i.e. 4 robust
   deviations) against the incident days of ``ground_truth.json``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nab_score import (  # noqa: E402
    NO_WINDOW,
    FileRows,
    Profile,
    anchors,
    corpus_score,
    file_rows,
    load_profiles,
    load_windows,
    normalise,
    perfect_scores,
    raw_at,
    sweep,
)

from northstar.analysis import detector  # noqa: E402

PUBLISHED = {
    "ARTime": 74.85,
    "Numenta HTM": 70.10,
    "CAD OSE": 69.90,
    "earthgecko Skyline": 58.20,
    "KNN CAD": 57.99,
    "Relative Entropy": 54.64,
    "Windowed Gaussian": 39.65,
}


def held_out(
    files: list[FileRows], scores: list[np.ndarray], categories: dict[str, str], profile: Profile
) -> None:
    """Each category scored at the threshold the sweep chooses on the other categories."""
    print(f"\nheld-out categories ({profile.name}): threshold chosen without the category, then its score")
    for cat in sorted(set(categories.values())):
        out = [i for i, f in enumerate(files) if categories[f.name] == cat]
        kept = [i for i, f in enumerate(files) if categories[f.name] != cat]
        null, perfect = anchors([files[i] for i in out], profile)
        if perfect - null <= 0:
            continue  # no windows: nothing to normalise against
        threshold, _ = sweep([files[i] for i in kept], [scores[i] for i in kept], profile).best
        raw = sum(raw_at([files[i] for i in out], [scores[i] for i in out], profile, threshold))
        print(f"  {cat}: {normalise(raw, null, perfect):.2f} at {threshold:.4f}")


def run_nab(nab_dir: Path, folds: bool = False) -> float:
    """Score the corpus, print the table; return the standard profile's threshold."""
    profiles = load_profiles(nab_dir)
    windows = load_windows(nab_dir)
    files: list[FileRows] = []
    scores: list[np.ndarray] = []
    categories: dict[str, str] = {}
    seconds = 0.0
    for name in sorted(windows):
        frame = pd.read_csv(nab_dir / "data" / name, parse_dates=["timestamp"])
        series = pd.Series(frame["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["timestamp"]))
        start = time.perf_counter()
        out = detector.score(series)
        seconds += time.perf_counter() - start
        files.append(file_rows(name, pd.DatetimeIndex(series.index), windows[name]))
        scores.append(out["score"].to_numpy())
        categories[name] = name.split("/")[0]
    rows = sum(len(f.window) for f in files)
    print(f"detector: {len(files)} files, {rows:,} rows, {seconds:.1f} s")
    result = corpus_score(files, scores, profiles, categories)
    null = corpus_score(files, [np.full(len(f.window), 0.5) for f in files], profiles, categories)
    perfect = corpus_score(files, [perfect_scores(f) for f in files], profiles, categories)
    names = [p.name for p in profiles]
    print("\n| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print("| threshold | " + " | ".join(f"{result[n]['threshold']:.4f}" for n in names) + " |")
    print("| **corpus** | " + " | ".join(f"**{result[n]['corpus']:.2f}**" for n in names) + " |")
    for cat in sorted(set(categories.values())):
        if cat in result[names[0]]:
            print(f"| {cat} | " + " | ".join(f"{result[n][cat]:.2f}" for n in names) + " |")
    print("| (check) Null | " + " | ".join(f"{null[n]['corpus']:.2f}" for n in names) + " |")
    print("| (check) Perfect | " + " | ".join(f"{perfect[n]['corpus']:.2f}" for n in names) + " |")
    # false alarms on the files without anomalies, at the standard threshold
    th = result["standard"]["threshold"]
    quiet = [(f.name, int((s >= th).sum())) for f, s in zip(files, scores, strict=True) if f.n_windows == 0]
    print(
        "\nrows flagged (standard threshold) in files without anomalies: "
        + ", ".join(f"{n.split('/')[1]} {k}" for n, k in quiet)
    )
    hit = sum(
        len({int(w) for w in f.window[(f.window >= 0) & (s >= th)]})
        for f, s in zip(files, scores, strict=True)
    )
    scored = sum(f.scored_windows for f in files)
    false_rows = sum(
        int(((f.window == NO_WINDOW) & (s >= th)).sum()) for f, s in zip(files, scores, strict=True)
    )
    print(
        f"at the standard threshold: {hit} of {scored} scored windows detected, {false_rows} false-positive rows"
    )
    print("published standard: " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))
    if folds:
        held_out(files, scores, categories, next(p for p in profiles if p.name == "standard"))
    return float(result["standard"]["threshold"])


def load_corpus(nab_dir: Path) -> tuple[list[pd.Series], list[FileRows], dict[str, str]]:
    windows = load_windows(nab_dir)
    series: list[pd.Series] = []
    files: list[FileRows] = []
    for name in sorted(windows):
        frame = pd.read_csv(nab_dir / "data" / name, parse_dates=["timestamp"])
        s = pd.Series(frame["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["timestamp"]))
        series.append(s)
        files.append(file_rows(name, pd.DatetimeIndex(s.index), windows[name]))
    return series, files, {f.name: f.name.split("/")[0] for f in files}


def _show(value: object) -> str:
    if isinstance(value, pd.Timedelta):
        days = value / pd.Timedelta(days=1)
        return f"{days:g} d" if days >= 1 else f"{value / pd.Timedelta(hours=1):g} h"
    if isinstance(value, float) and 0 < value < 0.01:
        return f"1e{math.log10(value):.1f}"
    return str(value)


def plateau(nab_dir: Path) -> None:
    """Corpus scores (3 profiles) with each constant moved by ±50 %, one at a time."""
    from northstar.analysis import detector_channels as channels
    from northstar.analysis import detector_novelty as novelty

    profiles = load_profiles(nab_dir)
    series, files, categories = load_corpus(nab_dir)
    day, hour = pd.Timedelta(days=1), pd.Timedelta(hours=1)
    moves: list[tuple[object, str, object, object]] = [
        (detector, "SCALE_WINDOWS", 5, 15),
        (detector, "COOLDOWN", 1.5 * day, 4.5 * day),
        (detector, "MEMORY", 25 * day, 75 * day),
        (detector, "ORDINARY_FACTOR", 0.25, 0.75),
        (channels, "LIKELIHOOD_BAND", 4.0, 12.0),
        (channels, "AVERAGE_ROWS", 5, 15),
        (channels, "HISTORY_ROWS", 4320, 12960),
        (channels, "LEARN_ROWS", 150, 450),
        (channels, "MEAN_FLOOR", 0.015, 0.045),
        (channels, "VARIANCE_FLOOR", 0.00015, 0.00045),
        (channels, "RED", 10**-7.5, 10**-2.5),
        (channels, "RANGE_DAYS", 15 * day, 45 * day),
        (channels, "RANGE_MARGIN", 0.025, 0.075),
        (channels, "RANGE_LAG", 3 * hour, 9 * hour),
        (channels, "MASK", 3 * hour, 9 * hour),
        (channels, "REPEAT_SPAN", 1.5 * day, 4.5 * day),
        (channels, "REPEAT_SCALE", 0.4, 1.0),
        (detector, "SETTLE_ROWS", 25, 75),
        (novelty, "BINS", 8, 24),
        (novelty, "NEW_BAND_SCORE", 0.3, 0.9),
        (novelty, "SHAPE_BLOCK", 2, 4),
        (novelty, "SHAPE_BAND", 1.5, 4.5),
        (novelty, "SHAPE_REST", 6 * hour, 18 * hour),
    ]

    def run() -> str:
        scores = [detector.score(s, reasons=False)["score"].to_numpy() for s in series]
        result = corpus_score(files, scores, profiles, categories)
        return " / ".join(f"{result[p.name]['corpus']:.2f}" for p in profiles)

    print("\n| constant (now) | −50 % | +50 % |\n|---|---:|---:|")
    print(f"| (all as they are) | {run()} | |")
    for module, name, low, high in moves:
        now = getattr(module, name)
        cells = []
        for value in (low, high):
            setattr(module, name, value)
            try:
                cells.append(f"{_show(value)}: {run()}")
            finally:
                setattr(module, name, now)
        print(f"| {name} ({_show(now)}) | {cells[0]} | {cells[1]} |")


DEMO_METRIC = {"purchases": "orders"}  # ground_truth names the event; the demo's metric is orders
ALERT = 0.5  # a day is flagged when its score is at least 0.5 (4 robust deviations)


def demo_series(project: object, metric: str, dim: str, start: str, end: str) -> dict[str, pd.Series]:
    """Daily series of ``metric``: the total and one per value of ``dim``."""
    from northstar.project import Project

    assert isinstance(project, Project)
    total = project.query([metric], grain="day", start=start, end=end).frame
    out = {f"{metric}": pd.Series(total[metric].to_numpy(float), index=pd.DatetimeIndex(total["period"]))}
    sliced = project.query([metric], by=[dim], grain="day", start=start, end=end).frame
    for value, part in sliced.groupby(dim):
        days = pd.DatetimeIndex(part["period"])
        series = pd.Series(part[metric].to_numpy(float), index=days)
        full = pd.date_range(total["period"].min(), total["period"].max(), freq="D")
        out[f"{metric}[{dim}={value}]"] = series.reindex(full, fill_value=0.0)
    return out


def run_demo(other_threshold: float | None = None) -> None:
    import json
    import tempfile

    from northstar.project import Project
    from northstar.scaffold.demo import generate_demo

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        generate_demo(root)
        truth = json.loads((root / "ground_truth.json").read_text())
        project = Project.load(root)
        incidents = truth["incidents"]
        series: dict[str, pd.Series] = {}
        for inc in incidents:
            metric = DEMO_METRIC.get(inc["metric"], inc["metric"])
            (dim,) = inc["slice"]
            series.update(demo_series(project, metric, dim, truth["start"], truth["end"]))
        start = time.perf_counter()
        scored = {key: detector.score(s) for key, s in series.items()}
        seconds = time.perf_counter() - start
    # (series, day) pairs that are incident days: the incident's slice, and the total it is part of
    truth_pairs: set[tuple[str, pd.Timestamp]] = set()
    for inc in incidents:
        metric = DEMO_METRIC.get(inc["metric"], inc["metric"])
        ((dim, value),) = inc["slice"].items()
        for day in inc["days"]:
            truth_pairs.add((f"{metric}[{dim}={value}]", pd.Timestamp(day)))
            truth_pairs.add((metric, pd.Timestamp(day)))
    flags = [(key, day) for key, out in scored.items() for day in out.index[out["score"] >= ALERT]]
    hits = [f for f in flags if f in truth_pairs]
    print(
        f"\ndemo (seed {truth['seed']}, {truth['start']}..{truth['end']}): {len(series)} daily series, {seconds:.2f} s"
    )
    print("| incident | series | days | flagged days | first flag | score | reason |")
    print("|---|---|---|---:|---|---:|---|")
    found = 0
    for inc in incidents:
        metric = DEMO_METRIC.get(inc["metric"], inc["metric"])
        ((dim, value),) = inc["slice"].items()
        key = f"{metric}[{dim}={value}]"
        out = scored[key].loc[inc["start"] : inc["end"]]
        flagged = out[out["score"] >= ALERT]
        found += int(len(flagged) > 0)
        top = int(np.argmax(out["score"].to_numpy()))
        first = f"{flagged.index[0]:%Y-%m-%d}" if len(flagged) else "-"
        print(
            f"| {inc['id']} | {key} | {inc['start']}..{inc['end']} | {len(flagged)}/{len(out)} | {first} "
            f"| {out['score'].iloc[top]:.2f} | {out['reason'].iloc[top]} |"
        )
    print("\nflagged (series, day) pairs outside the incidents:")
    for key, day in flags:
        if (key, day) not in truth_pairs:
            out = scored[key].loc[day]
            print(f"  {key} {day:%Y-%m-%d} score {out['score']:.2f}: {out['reason']}")
    precision = len(hits) / len(flags) if flags else float("nan")
    print(
        f"\nat score >= {ALERT}: incident recall {found}/{len(incidents)}; precision of flagged days"
        f" {len(hits)}/{len(flags)} = {precision:.2f} (a flag on the incident's slice or its total on an"
        " incident day is a hit)"
    )
    if other_threshold is not None:
        flags = [(k, d) for k, out in scored.items() for d in out.index[out["score"] >= other_threshold]]
        hits = [f for f in flags if f in truth_pairs]
        found = 0
        for inc in incidents:
            metric = DEMO_METRIC.get(inc["metric"], inc["metric"])
            ((dim, value),) = inc["slice"].items()
            part = scored[f"{metric}[{dim}={value}]"].loc[inc["start"] : inc["end"]]
            found += int((part["score"] >= other_threshold).any())
        print(
            f"at score >= {other_threshold:.4f} (NAB's standard threshold): incident recall"
            f" {found}/{len(incidents)}; precision {len(hits)}/{len(flags)} = {len(hits) / max(len(flags), 1):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nab", type=Path, default=HERE.parent.parent / "shared" / "data" / "nab")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--plateau", action="store_true", help="also move each constant by ±50 %%")
    parser.add_argument(
        "--folds", action="store_true", help="also score each category at a threshold set without it"
    )
    args = parser.parse_args()
    threshold = run_nab(args.nab, folds=args.folds)
    if args.plateau:
        plateau(args.nab)
    if not args.skip_demo:
        run_demo(threshold)


if __name__ == "__main__":
    main()
