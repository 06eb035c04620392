"""The detector (``northstar.analysis.detector``) on NAB v1.1, and on the demo's incidents.

    python benchmarks/nab.py                 # all 58 NAB files, 3 profiles, then the demo
    python benchmarks/nab.py --skip-demo     # NAB only
    python benchmarks/nab.py --nab ../shared/data/nab

Steps:

1. read each ``data/<category>/<file>.csv`` and score it with ``detector.score`` (one pass, the
   same parameters for every file; the text reasons are built too, so the time is the real
   cost); the seconds for all 58 files are printed;
2. score the detections with ``nab_score.py`` (NAB's definition, see its docstring): one
   threshold per profile chosen by the sweep over the whole corpus, the normalised corpus
   score, and per category at that threshold (a category against its own Null and Perfect);
   the Null and Perfect detectors are scored too, as a check (0 and 100);
3. the demo: daily series of the incident metrics (overall and for the incident's slice), the
   detector on each, and precision / recall of flagged days (score ≥ 0.5, i.e. 4 robust
   deviations) against the incident days of ``ground_truth.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nab_score import (  # noqa: E402
    FileRows,
    corpus_score,
    file_rows,
    load_profiles,
    load_windows,
    perfect_scores,
)

from northstar.analysis import detector  # noqa: E402

PUBLISHED = {"ARTime": 74.85, "Numenta HTM": 70.10, "CAD OSE": 69.90, "Windowed Gaussian": 39.65}


def run_nab(nab_dir: Path) -> None:
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
        files.append(file_rows(name, series.index, windows[name]))
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
    print("published standard: " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))


def run_demo() -> None:
    import json
    import tempfile

    from northstar.project import Project
    from northstar.scaffold.demo import generate_demo

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        generate_demo(root)
        truth = json.loads((root / "ground_truth.json").read_text())
        print("\nground truth keys:", list(truth))
        project = Project.load(root)
        print(project)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nab", type=Path, default=HERE.parent.parent / "shared" / "data" / "nab")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    run_nab(args.nab)
    if not args.skip_demo:
        run_demo()


if __name__ == "__main__":
    main()
