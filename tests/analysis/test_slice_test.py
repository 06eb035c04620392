"""The slice test (``analysis/slice_test.py``) and the root-cause search on wide data through
``Project.explain``: every z and every figure recomputed here with plain NumPy/pandas, written from
the module docstring, not with the module's code."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from northstar.analysis.slice_test import MEDIAN_ABS_Z, slice_search, value_test
from northstar.project import Project

TZ = "Europe/Berlin"
DAY = date(2026, 3, 29)  # Berlin moves to summer time: a day of 23 hours
SIZES = [
    4,
    6,
    8,
    5,
    60,
    120,
    3,
    10,
]  # 8 dimensions (more than the 6 the leaf table keeps), two of more than 50 values
CAUSES = ({"d1": "d1_2"}, {"d0": "d0_1", "d3": "d3_0"})  # both lose 70 % of their events on DAY
DIMS = [f"d{i}" for i in range(len(SIZES))]


def _oracle_z(real: np.ndarray, expected: np.ndarray, phi: float) -> np.ndarray:
    """z of each value against the value-weighted median log ratio of its dimension."""
    log = np.log((real + 0.5) / (expected + 0.5))
    w = real + expected
    order = np.argsort(log)
    half = np.cumsum(w[order]) >= w.sum() / 2
    typical = log[order][np.argmax(half)]
    return (log - typical) / np.sqrt(1 / (real + 0.5) + 1 / (expected + 0.5) + phi**2)


def test_value_z_and_phi_match_numpy() -> None:
    rng = np.random.default_rng(1)
    values = {}
    for d, k in (("a", 5), ("b", 40), ("c", 300)):
        expected = rng.poisson(rng.lognormal(5, 1.5, k)).astype(float)
        real = rng.poisson(expected * np.exp(rng.normal(0, 0.05, k))).astype(float)
        values[d] = (real, expected)
    test = value_test(values)
    assert test.phi > 0
    zs = {d: _oracle_z(r, e, test.phi) for d, (r, e) in values.items()}
    for d in values:
        assert test.z[d] == pytest.approx(zs[d], rel=1e-9, abs=1e-12)
    # φ is where the value-weighted median |z| over all values is that of a standard normal
    z = np.abs(np.concatenate(list(zs.values())))
    w = np.concatenate([r + e for r, e in values.values()])
    order = np.argsort(z)
    median = z[order][np.argmax(np.cumsum(w[order]) >= w.sum() / 2)]
    assert median == pytest.approx(MEDIAN_ABS_Z, abs=1e-3)


def test_pure_poisson_values_need_no_wobble_and_nothing_is_significant() -> None:
    rng = np.random.default_rng(2)
    expected = rng.poisson(2000, 50).astype(float)
    real = rng.poisson(expected).astype(float)
    test = value_test({"a": (real, expected)})
    assert test.phi < 0.01
    assert not test.significant("a").any()


def test_slice_search_picks_the_whole_slice_not_a_piece_or_a_parent() -> None:
    """A 4 × 5 leaf table where x=1 & y=2 halved: the cause is that cell, found first, and
    nothing else passes; on the table without the cut nothing is found."""
    rng = np.random.default_rng(3)
    x, y = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    x, y = x.ravel(), y.ravel()
    expected = np.full(20, 5000.0)
    real = rng.poisson(expected).astype(float)
    clean = real.copy()
    real[(x == 1) & (y == 2)] *= 0.5
    found = slice_search([x, y], [None, None], [4, 5], 2, real, expected, 0.0, 3, 10)
    assert [(c, v) for c, v, _ in found] == [((0, 1), (1, 2))]
    cell = (x == 1) & (y == 2)
    z = (
        np.log((real[cell].sum() + 0.5) / 5000.5)
        - np.log((real[~cell].sum() + 0.5) / (expected[~cell].sum() + 0.5))
    ) / np.sqrt(1 / (real[cell].sum() + 0.5) + 1 / 5000.5)
    assert found[0][2] == pytest.approx(abs(z), rel=1e-9)
    assert slice_search([x, y], [None, None], [4, 5], 2, clean, expected, 0.0, 3, 10) == []


def _events(seed: int, causes: tuple[dict[str, str], ...]) -> pd.DataFrame:
    """Two local days (DAY−1 and DAY, Berlin) of events with Zipf-like dimension values; rows
    under ``causes`` on DAY lose 70 %; timestamps on the minute (many equal), rows shuffled,
    and 2 % of the rows repeated."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in (DAY - timedelta(days=1), DAY):
        start = pd.Timestamp(datetime.combine(day, datetime.min.time()), tz=TZ)
        end = pd.Timestamp(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz=TZ)
        n = 30_000
        minutes = rng.integers(0, int((end - start).total_seconds() // 60), n)
        ts = (start.tz_convert("UTC") + pd.to_timedelta(minutes, unit="min")).tz_localize(None)
        frame = pd.DataFrame({"ts": ts})
        for d, k in zip(DIMS, SIZES, strict=True):
            p = 1.0 / (np.arange(k) + 2.0)
            frame[d] = [f"{d}_{v}" for v in rng.choice(k, n, p=p / p.sum())]
        if day == DAY:
            drop = np.zeros(n, dtype=bool)
            for cause in causes:
                under = np.logical_and.reduce([frame[a].to_numpy() == v for a, v in cause.items()])
                drop |= under & (rng.uniform(size=n) < 0.7)
            frame = frame[~drop]
        frames.append(frame)
    events = pd.concat(frames, ignore_index=True)
    events = pd.concat([events, events.sample(frac=0.02, random_state=seed)], ignore_index=True)
    return events.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def _project(folder: Path, events: pd.DataFrame) -> Project:
    events.to_parquet(folder / "events.parquet", index=False)
    spec = {
        "project": {"name": "wide", "timezone": TZ},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "timezone": "UTC"}},
        "dimensions": {d: {} for d in DIMS},
        "metrics": {"events": {"type": "count", "source": "events"}},
    }
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(folder)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, pd.DataFrame]:
    events = _events(5, CAUSES)
    return _project(tmp_path_factory.mktemp("wide"), events), events


def test_planted_causes_on_wide_data_are_found_with_pandas_figures(
    wide: tuple[Project, pd.DataFrame],
) -> None:
    project, events = wide
    result = project.explain("events", day=DAY, vs="previous", by=DIMS)
    assert result.causes is not None
    assert {c.combination for c in result.causes.causes} == {tuple(sorted(c.items())) for c in CAUSES}
    assert any("root causes on wide data" in n for n in result.notes), result.notes
    local = events["ts"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    today, before = events[local == DAY], events[local == DAY - timedelta(days=1)]
    total = len(today) - len(before)
    assert result.causes.total_change == total
    for c in result.causes.causes:

        def count(frame: pd.DataFrame, combo: tuple[tuple[str, str], ...] = c.combination) -> int:
            mask = np.logical_and.reduce([frame[a].to_numpy() == v for a, v in combo])
            return int(mask.sum())

        assert (c.real, c.expected) == (count(today), count(before))
        assert c.share == pytest.approx((count(today) - count(before)) / total)
    shares = [abs(c.share) for c in result.causes.causes]
    assert shares == sorted(shares, reverse=True)


def test_wide_data_without_a_cause_gives_none(tmp_path: Path) -> None:
    project = _project(tmp_path, _events(6, ()))
    result = project.explain("events", day=DAY, vs="previous", by=DIMS)
    assert result.causes is not None
    assert result.causes.causes == ()


@pytest.mark.spark
def test_wide_search_same_on_spark(wide: tuple[Project, pd.DataFrame], spark_session: object) -> None:
    from northstar.engine.spark import SparkEngine

    project, _ = wide
    by = DIMS[:7]  # seven dimensions: still wider than the leaf table keeps, fewer Spark queries
    duck = project.explain("events", day=DAY, vs="previous", by=by).to_dict()["root_causes"]
    other = project.explain(
        "events", day=DAY, vs="previous", by=by, engine=SparkEngine(session=spark_session)
    )
    spark = other.to_dict()["root_causes"]
    assert [c["combination"] for c in spark["causes"]] == [c["combination"] for c in duck["causes"]]
    assert [c["share"] for c in spark["causes"]] == pytest.approx(
        [c["share"] for c in duck["causes"]], rel=1e-9
    )
    assert len(duck["causes"]) == 2


def test_drill_adds_the_value_that_holds_the_slice_change_and_stops_inside_a_true_cause() -> None:
    """Within slice a=1, only b=3 fell (by half): drilled to a=1 & b=3; inside a=1 & b=3 every
    value of c moved alike, so the drill stops there. Poisson-exact counts, no wobble."""
    from northstar.analysis.drill import drill

    rng = np.random.default_rng(4)
    n_b, n_c = 6, 5

    def fetch(dim: str, combo: dict[str, str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        k = n_b if dim == "b" else n_c
        expected = np.full(k, 4000.0 if "b" not in combo else 800.0)
        real = rng.poisson(expected).astype(float)
        if dim == "b":
            real[3] = rng.poisson(expected[3] * 0.5)
        elif "b" not in combo:  # c within a=1: b=3's fall spread evenly over c
            real = rng.poisson(expected * (1 - 0.5 / n_b)).astype(float)
        else:  # within a=1 & b=3 everything fell by half
            real = rng.poisson(expected * 0.5).astype(float)
        return [f"{dim}{i}" for i in range(k)], real, expected

    assert drill({"a": "a1"}, ["a", "b", "c"], fetch, 0.0, -1.0) == {"a": "a1", "b": "b3"}
    # the same fall where the slice rose is not this slice's story
    assert drill({"a": "a1"}, ["a", "b", "c"], fetch, 0.0, +1.0) == {"a": "a1"}
    # a pooled value cannot be filtered: no drill
    assert drill({"a": "(other)"}, ["a", "b", "c"], fetch, 0.0, -1.0, blocked=("(other)",)) == {
        "a": "(other)"
    }


def test_a_ratio_on_wide_data(tmp_path: Path) -> None:
    """conversion = buys / visits; on DAY the conversion of d1=d1_2 falls from 30 % to 5 %: the
    cause is d1=d1_2, and its figures and share follow the contribution formula, by pandas."""
    events = _events(7, ())
    rng = np.random.default_rng(8)
    local = events["ts"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    rate = np.where((local == DAY) & (events["d1"] == "d1_2"), 0.05, 0.3)
    events["bought"] = (rng.uniform(size=len(events)) < rate).astype(int)
    events.to_parquet(tmp_path / "events.parquet", index=False)
    spec = {
        "project": {"name": "wide", "timezone": TZ},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "timezone": "UTC"}},
        "dimensions": {d: {} for d in DIMS},
        "metrics": {
            "visits": {"type": "count", "source": "events"},
            "buys": {"type": "count", "source": "events", "filter": "bought = 1"},
            "conversion": {"type": "ratio", "numerator": "buys", "denominator": "visits"},
        },
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    result = Project.load(tmp_path).explain("conversion", day=DAY, vs="previous", by=DIMS)
    assert result.causes is not None
    assert [c.combination for c in result.causes.causes] == [(("d1", "d1_2"),)]
    today, before = events[local == DAY], events[local == DAY - timedelta(days=1)]
    r_exp = before["bought"].sum() / len(before)
    total = today["bought"].sum() / len(today) - r_exp
    t, b = today[today["d1"] == "d1_2"], before[before["d1"] == "d1_2"]
    cause = result.causes.causes[0]
    assert cause.real == pytest.approx(t["bought"].sum() / len(t))
    assert cause.expected == pytest.approx(b["bought"].sum() / len(b))
    contribution = ((t["bought"].sum() - b["bought"].sum()) - r_exp * (len(t) - len(b))) / len(today)
    assert cause.share == pytest.approx(contribution / total)
