"""CDNOW: Northstar reproduces the repeat-purchase figures its publishers printed.

The data: the purchase history, up to the end of June 1998, of the cohort of 23,570 people who
made their first-ever purchase at the online music store CDNOW in the first quarter of 1997
(69,659 records: customer, date, number of CDs, dollar value), and the 1/10th systematic
sample of that cohort, 2,357 customers. Published by Bruce Hardie with Peter Fader:
- https://www.brucehardie.com/datasets/ (the data files and that description), and
  "Notes on the CDNOW Master Data Set", https://www.brucehardie.com/notes/026/ (2013), which
  documents how the 1/10th sample is drawn from the master file;
- Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2), 275-284, section 4 (the empirical analysis): the
  2,357 customers, a 39-week calibration period (1997-01-01 to 1997-09-30) and a 39-week holdout,
  and the figure of predicted vs. actual frequency of repeat transactions, whose actual bars are
  the customers with 0, 1, …, 6 and 7+ repeat transactions in the calibration period: 1,411, 439,
  214, 100, 62, 38, 29 and 64. (The page of that figure is not checked from here.)
- the per-customer calibration summary behind that figure (repeat transactions x, recency t_x
  and time observed T, in weeks to two decimals), the data of Hardie's Excel notes on the BG/NBD
  model ("Implementing the BG/NBD Model for Customer Base Analysis in Excel", note 004; "Creating
  a Fit Histogram for the BG/NBD Model", https://www.brucehardie.com/notes/014/), shipped as
  ``cdnow_customers_summary.csv``. The histogram and the 2,457 calibration repeat transactions
  (the sum of x) follow from it, so the tests check the figure against this file as well.

The files come from the PyPI package Lifetimes 0.11.3 (MIT; ``lifetimes/datasets/``), downloaded
at test time and never committed (see ``registry_data.py``): the data's own terms are the
publisher's.

The publisher's definitions, which the conversion below follows: several records of one customer
on one day are one transaction (note 026); a customer's first transaction is the trial and every
later one a repeat; day 1 is 1997-01-01 and the calibration period is days 1-273 (39 weeks).

How Northstar computes the figures (all in the engine):
- customers: ``count_distinct`` of the entity; records and transactions: ``count``;
  calibration repeat transactions: a ``formula`` (transactions − customers) over 1997-01-01 to
  1997-09-30 — the cohort's first purchases all lie inside that range;
- the repeat-transaction histogram: a funnel of eight identical steps "a purchase in the
  calibration period" (``filter: day <= 273``, window 273d): an entity reaching step k made at
  least k purchases, so step k minus step k+1 is the number of customers with exactly k−1
  repeats and step 8 is the "7+" bar; the per-entity levels, times to the last step and entry
  times give x, t_x and T of the published summary customer by customer;
- the share of customers who repeat in the calibration period: ``repeat_rate`` (within 273d,
  filter ``day <= 273``) = 946 / 2,357 = 1 − 1,411 / 2,357.

Every number is checked three ways: the published value, an independent pandas computation from
the raw file (``oracle_*`` below, which reads neither Northstar nor the conversion), and Northstar.
Counts must match exactly; recency and T match the published summary to its two decimals.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from northstar.project import Project

from .registry_data import LIFETIMES, read

SAMPLE_FILE = "lifetimes/datasets/CDNOW_sample.txt"
MASTER_FILE = "lifetimes/datasets/CDNOW_master.txt"
SUMMARY_FILE = "lifetimes/datasets/cdnow_customers_summary.csv"

# -- the published figures ------------------------------------------------------------------
MASTER_CUSTOMERS = 23_570  # datasets page and note 026
MASTER_RECORDS = 69_659  # datasets page and note 026
SAMPLE_CUSTOMERS = 2_357  # datasets page, note 026, FHL 2005 section 4
SAMPLE_RECORDS = 6_919  # the sample file's rows (as the R package BTYD documents its copy)
# FHL 2005, "Predicted vs. Actual Frequency of Repeat Transactions" (actual): customers by number
# of repeat transactions in the 39-week calibration period; the last bar is "7+".
REPEAT_HISTOGRAM = [1_411, 439, 214, 100, 62, 38, 29, 64]
CALIBRATION_DAYS = 273  # 39 weeks from 1997-01-01: 1997-01-01 to 1997-09-30
DAY_ZERO = pd.Timestamp("1996-12-31")  # the publisher's day 1 is 1997-01-01
CAL_START, CAL_END = date(1997, 1, 1), date(1997, 9, 30)
HOLDOUT_START, HOLDOUT_END = date(1997, 10, 1), date(1998, 6, 30)

WEEK_SECONDS = 7 * 24 * 3600


# -- reading the raw files (shared by the oracle and the conversion) ------------------------------
def read_sample() -> pd.DataFrame:
    """The 1/10th sample as published: master id, sample id, yyyymmdd, CDs, dollars."""
    raw = read(LIFETIMES, SAMPLE_FILE).decode("ascii")
    df = pd.read_csv(
        io.StringIO(raw), sep=r"\s+", header=None, names=["master_id", "customer", "ymd", "cds", "dollars"]
    )
    df["date"] = pd.to_datetime(df["ymd"].astype(str), format="%Y%m%d")
    return df


def read_master() -> pd.DataFrame:
    raw = read(LIFETIMES, MASTER_FILE).decode("ascii")
    df = pd.read_csv(io.StringIO(raw), sep=r"\s+")
    df.columns = ["customer", "ymd", "cds", "dollars"]
    df["date"] = pd.to_datetime(df["ymd"].astype(str), format="%Y%m%d")
    return df


def read_summary() -> pd.DataFrame:
    """The publisher's calibration summary: ID, frequency (x), recency (t_x), T, in weeks."""
    return pd.read_csv(io.BytesIO(read(LIFETIMES, SUMMARY_FILE)))


# -- the independent oracle: plain pandas on the raw rows --------------------------------------
def oracle_per_customer(raw: pd.DataFrame) -> pd.DataFrame:
    """Per customer, from the raw records: x (repeat transactions, days 1-273, one per day),
    t_x (weeks from the first to the last calibration transaction), T (weeks from the first
    transaction to the end of day 273), x_holdout (transactions after day 273)."""
    days = (raw["date"] - DAY_ZERO).dt.days
    out = []
    for customer, d in days.groupby(raw["customer"]):
        distinct = np.unique(d.to_numpy())
        cal = distinct[distinct <= CALIBRATION_DAYS]
        first = distinct.min()
        out.append(
            {
                "customer": customer,
                "x": len(cal) - 1,
                "t_x": (cal.max() - first) / 7,
                "T": (CALIBRATION_DAYS - first) / 7,
                "x_holdout": int((distinct > CALIBRATION_DAYS).sum()),
            }
        )
    return pd.DataFrame(out).set_index("customer").sort_index()


def oracle_histogram(per_customer: pd.DataFrame) -> list[int]:
    x = per_customer["x"]
    return [int((x == k).sum()) for k in range(7)] + [int((x >= 7).sum())]


# -- the conversion into a Northstar project ------------------------------------------------
def purchases(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and day (the publisher's transaction), CDs and dollars summed."""
    g = raw.groupby(["customer", "date"], as_index=False).agg(cds=("cds", "sum"), dollars=("dollars", "sum"))
    g["day"] = (g["date"] - DAY_ZERO).dt.days
    g["event_name"] = "purchase"
    return g


def _write(frame: pd.DataFrame, path: Path) -> None:
    # rows out of order on purpose: nothing may depend on the file's order
    frame = frame.sample(frac=1.0, random_state=7).rename(columns={"date": "purchased_at"})
    frame = frame.assign(
        purchased_at=frame["purchased_at"].astype("datetime64[us]"), customer=frame["customer"]
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def make_project(folder: Path, raw: pd.DataFrame, timezone: str = "UTC") -> Project:
    """A Northstar project over ``raw``: source ``records`` (the file's rows as they are) and
    source ``purchases`` (one row per customer and day), times read in ``timezone``."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(raw[["customer", "date", "cds", "dollars"]], folder / "records.parquet")
    _write(purchases(raw), folder / "purchases.parquet")
    in_calibration = f"day <= {CALIBRATION_DAYS}"
    purchase_step = {"event": "purchase", "filter": in_calibration}
    spec: dict[str, Any] = {
        "project": {"name": "CDNOW", "timezone": timezone, "currency": "USD"},
        "sources": {
            "records": {"path": "records.parquet", "time": "purchased_at", "entity": "customer"},
            "purchases": {"path": "purchases.parquet", "time": "purchased_at", "entity": "customer"},
        },
        "metrics": {
            "records": {"type": "count", "source": "records"},
            "customers": {"type": "count_distinct", "source": "purchases"},
            "transactions": {"type": "count", "source": "purchases"},
            "repeat_transactions": {"type": "formula", "expr": "transactions - customers"},
            "repeat_buyers_39w": {
                "type": "repeat_rate",
                "source": "purchases",
                "within": f"{CALIBRATION_DAYS}d",
                "filter": in_calibration,
            },
        },
        "north_star": "repeat_buyers_39w",
        "funnels": {
            "repeats_39w": {
                "source": "purchases",
                "event_column": "event_name",
                "within": f"{CALIBRATION_DAYS}d",
                "steps": [
                    {"name": "trial", **purchase_step},
                    *({"name": f"repeat_{k}", **purchase_step} for k in range(1, 8)),
                ],
            }
        },
    }
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(folder)


def histogram_from_funnel(steps: pd.DataFrame) -> list[int]:
    reached = [int(n) for n in steps.sort_values("step")["entities"]]
    return [reached[k] - reached[k + 1] for k in range(len(reached) - 1)] + [reached[-1]]


def total(project: Project, metric: str, start: date, end: date, **kw: Any) -> float:
    frame = project.query([metric], start=start, end=end, **kw).frame
    assert len(frame) == 1, frame
    return float(frame[metric].iloc[0])


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_sample()


@pytest.fixture(scope="module")
def oracle(sample: pd.DataFrame) -> pd.DataFrame:
    return oracle_per_customer(sample)


@pytest.fixture(scope="module", params=["UTC", "America/New_York"])
def sample_project(request: Any, sample: pd.DataFrame, tmp_path_factory: Any) -> Project:
    """The sample in UTC and in New York time (CDNOW's own; DST changed on 1997-04-06 and
    1997-10-26, inside the data): dates are local dates, so the figures must not move."""
    return make_project(tmp_path_factory.mktemp("cdnow"), sample, request.param)


# -- the published figures ----------------------------------------------------------------
def test_oracle_reproduces_the_published_figures(sample: pd.DataFrame, oracle: pd.DataFrame) -> None:
    """The oracle itself is right: it gives the paper's histogram and the publisher's summary."""
    assert sample["customer"].nunique() == SAMPLE_CUSTOMERS
    assert oracle_histogram(oracle) == REPEAT_HISTOGRAM
    published = read_summary().set_index("ID").sort_index()
    assert list(published.index) == list(oracle.index)
    assert (published["frequency"] == oracle["x"]).all()
    assert np.allclose(published["recency"], oracle["t_x"], atol=0.005 + 1e-9)  # 2 decimals
    assert np.allclose(published["T"], oracle["T"], atol=0.005 + 1e-9)


def test_customers_and_calibration_repeats(sample_project: Project, oracle: pd.DataFrame) -> None:
    p = sample_project
    assert total(p, "customers", CAL_START, CAL_END) == SAMPLE_CUSTOMERS
    # the whole cohort entered in the first quarter of 1997
    assert total(p, "customers", date(1997, 1, 1), date(1997, 3, 31)) == SAMPLE_CUSTOMERS
    assert total(p, "customers", CAL_START, HOLDOUT_END) == SAMPLE_CUSTOMERS
    repeats = total(p, "repeat_transactions", CAL_START, CAL_END)
    assert repeats == oracle["x"].sum() == read_summary()["frequency"].sum()  # 2,457
    assert total(p, "records", CAL_START, HOLDOUT_END) == SAMPLE_RECORDS == len(read_sample())
    first, last = p.coverage(p.engine, "purchases") or (None, None)
    assert (first, last) == (datetime(1997, 1, 1), datetime(1998, 6, 30))


def test_repeat_rate_is_one_minus_the_zero_bar(sample_project: Project) -> None:
    rate = total(sample_project, "repeat_buyers_39w", CAL_START, CAL_END)
    repeaters = SAMPLE_CUSTOMERS - REPEAT_HISTOGRAM[0]  # 946
    assert rate == pytest.approx(repeaters / SAMPLE_CUSTOMERS, abs=1e-12)
    assert round(rate * SAMPLE_CUSTOMERS) == repeaters


def test_funnel_gives_the_published_histogram(sample_project: Project) -> None:
    result = sample_project.funnel("repeats_39w", start=CAL_START, end=CAL_END)
    assert histogram_from_funnel(result.steps) == REPEAT_HISTOGRAM
    assert int(result.steps["entities"].iloc[0]) == SAMPLE_CUSTOMERS


def test_funnel_entities_match_the_published_summary(sample_project: Project) -> None:
    """Customer by customer: x (capped at 7 by the eight steps), t_x where the last step reached is
    the last calibration purchase (x <= 6), and T from the step-1 time."""
    result = sample_project.funnel("repeats_39w", start=CAL_START, end=CAL_END)
    got = result.entities.set_index("entity").sort_index()
    published = read_summary().set_index("ID").sort_index()
    assert list(got.index) == list(published.index)
    assert (got["level"] - 1 == published["frequency"].clip(upper=7)).all()
    below = published["frequency"] <= 6
    # Funnels measure real elapsed time (UTC instants): in New York a span across a DST change is
    # an hour longer or shorter than its calendar days, so round to whole days as the publisher does.
    t_x = (got.loc[below, "seconds_to_last_step"] / 86400).round() / 7
    assert np.allclose(t_x, published.loc[below, "recency"], atol=0.005 + 1e-9)
    entered = pd.to_datetime(got["entered"]).dt.tz_localize(None).dt.normalize()
    weeks_observed = (pd.Timestamp(CAL_END) - entered).dt.days / 7
    assert np.allclose(weeks_observed, published["T"], atol=0.005 + 1e-9)


def test_holdout_transactions(sample_project: Project, oracle: pd.DataFrame) -> None:
    """Not a printed figure (the paper plots it): the 39-week holdout's transactions, all repeats."""
    assert total(sample_project, "transactions", HOLDOUT_START, HOLDOUT_END) == oracle["x_holdout"].sum()


def test_master_file_matches_the_dataset_description(tmp_path: Path) -> None:
    """23,570 customers, 69,659 records, every first purchase in the first quarter of 1997, data
    to the end of June 1998; the 1/10th sample is drawn from these customers."""
    master = read_master()
    assert (master["customer"].nunique(), len(master)) == (MASTER_CUSTOMERS, MASTER_RECORDS)
    p = make_project(tmp_path / "master", master)
    assert total(p, "records", date(1997, 1, 1), date(1998, 6, 30)) == MASTER_RECORDS
    assert total(p, "customers", date(1997, 1, 1), date(1998, 6, 30)) == MASTER_CUSTOMERS
    assert total(p, "customers", date(1997, 1, 1), date(1997, 3, 31)) == MASTER_CUSTOMERS
    assert p.coverage(p.engine, "records") == (datetime(1997, 1, 1), datetime(1998, 6, 30))
    sample = read_sample()
    assert set(sample["master_id"]) <= set(master["customer"])
    assert sample["master_id"].nunique() == SAMPLE_CUSTOMERS
    mine = master[master["customer"].isin(sample["master_id"])]
    assert len(mine) == len(sample)


def test_empty_cohort(tmp_path: Path, sample: pd.DataFrame) -> None:
    """A range before the data: customers are empty (null, as docs/spec.md says for periods outside
    the data, with a note), and nobody enters the funnel."""
    p = make_project(tmp_path / "cdnow", sample)
    result = p.query(["customers"], start=date(1996, 6, 1), end=date(1996, 6, 30))
    assert result.frame["customers"].isna().all()
    assert result.notes
    result = p.funnel("repeats_39w", start=date(1996, 6, 1), end=date(1996, 6, 30))
    assert list(result.steps["entities"]) == [0] * 8


@pytest.mark.spark
def test_same_figures_on_spark(tmp_path: Path, sample: pd.DataFrame, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    p = make_project(tmp_path / "cdnow", sample)
    spark = SparkEngine(session=spark_session)
    for metric in ("customers", "repeat_transactions", "repeat_buyers_39w"):
        assert total(p, metric, CAL_START, CAL_END, engine=spark) == total(p, metric, CAL_START, CAL_END)
    result = p.funnel("repeats_39w", start=CAL_START, end=CAL_END, engine=spark)
    assert histogram_from_funnel(result.steps) == REPEAT_HISTOGRAM
