"""Root-cause localisation (``analysis/rootcause.py``) on cases whose answer is known by construction.

Every number a cause reports is recomputed here with plain pandas filters over the leaf table
(``oracle_*``), not with the module's code: real/expected are sums over the rows that carry the
combination's values, share is the change over the total change, and for a ratio the contribution
is (Δnum − R_exp·Δden) / Den_real as the module docstring defines it.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.analysis.rootcause import NONE_LABEL, RootCauses, localize, localize_ratio
from northstar.errors import QueryError

DATA = Path(__file__).resolve().parent / "data"
B0 = Path(__file__).resolve().parents[3] / "shared/data/rca-squeeze-b0"


def grid(sizes: dict[str, int], rng: np.random.Generator, noise: float = 0.0) -> pd.DataFrame:
    """Every combination of the attributes' values, a lognormal expected value and real = expected × noise."""
    names = list(sizes)
    rows = list(itertools.product(*[[f"{a}{i}" for i in range(1, sizes[a] + 1)] for a in names]))
    frame = pd.DataFrame(rows, columns=names)
    frame["expected"] = rng.lognormal(3.0, 1.0, len(frame)).round(2)
    frame["real"] = frame["expected"] * (1 + rng.normal(0, noise, len(frame))) if noise else frame["expected"]
    return frame


def under(frame: pd.DataFrame, combination: tuple[tuple[str, str], ...]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for attr, value in combination:
        mask &= frame[attr].astype(str) == value
    return mask


def plant(frame: pd.DataFrame, combination: dict[str, str], factor: float) -> None:
    frame.loc[under(frame, tuple(combination.items())), "real"] *= factor


def labels(result: RootCauses) -> set[tuple[tuple[str, str], ...]]:
    return {c.combination for c in result.causes}


def check_additive(frame: pd.DataFrame, result: RootCauses) -> None:
    """Every figure of an additive result against pandas sums."""
    total = frame["real"].sum() - frame["expected"].sum()
    assert result.total_real == pytest.approx(frame["real"].sum())
    assert result.total_expected == pytest.approx(frame["expected"].sum())
    assert result.total_change == pytest.approx(total)
    union = pd.Series(False, index=frame.index)
    for c in result.causes:
        rows = frame[under(frame, c.combination)]
        assert c.real == pytest.approx(rows["real"].sum())
        assert c.expected == pytest.approx(rows["expected"].sum())
        assert c.change == pytest.approx(rows["real"].sum() - rows["expected"].sum())
        assert c.share == pytest.approx((rows["real"].sum() - rows["expected"].sum()) / total)
        assert c.layer == len(c.combination)
        assert list(c.combination) == sorted(c.combination)
        union |= under(frame, c.combination)
    explained = (frame.loc[union, "real"] - frame.loc[union, "expected"]).sum() / total
    assert result.explained == pytest.approx(explained)
    shares = [abs(c.share) for c in result.causes]
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize(
    "cause",
    [
        {"channel": "channel3"},
        {"channel": "channel2", "region": "region5"},
        {"channel": "channel1", "device": "device2", "region": "region7"},
    ],
    ids=["layer1", "layer2", "layer3"],
)
def test_one_planted_cause_is_found_at_its_layer(cause: dict[str, str]) -> None:
    rng = np.random.default_rng(1)
    frame = grid({"channel": 5, "region": 8, "device": 3, "plan": 4}, rng, noise=0.05)
    plant(frame, cause, 0.4)
    result = localize(frame, ["channel", "region", "device", "plan"])
    assert labels(result) == {tuple(sorted(cause.items()))}
    check_additive(frame, result)
    assert result.causes[0].risk >= 0.5
    assert result.causes[0].change < 0 and result.causes[0].share > 0  # a fall, in a total that fell


def test_two_planted_causes_in_different_cuboids() -> None:
    rng = np.random.default_rng(2)
    frame = grid({"channel": 6, "region": 10, "device": 4}, rng, noise=0.08)
    plant(frame, {"channel": "channel4"}, 0.5)
    plant(frame, {"region": "region2", "device": "device3"}, 0.3)
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("channel", "channel4"),), (("device", "device3"), ("region", "region2"))}
    check_additive(frame, result)


def test_a_rise_is_found_like_a_fall() -> None:
    rng = np.random.default_rng(3)
    frame = grid({"channel": 6, "region": 10, "device": 4}, rng, noise=0.05)
    plant(frame, {"region": "region9", "device": "device1"}, 2.5)
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("device", "device1"), ("region", "region9"))}
    assert result.causes[0].share > 0.8
    check_additive(frame, result)


def test_a_slice_that_fell_to_almost_zero_is_found() -> None:
    """Every leaf of the slice is 0 but three keep a trace: the consistency check must not reject it."""
    rng = np.random.default_rng(11)
    frame = grid({"channel": 6, "region": 10, "device": 4}, rng, noise=0.05)
    hit = under(frame, (("region", "region4"),))
    frame.loc[hit, "real"] = 0.0
    frame.loc[frame.index[hit][:3], "real"] = 0.001
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("region", "region4"),)}
    check_additive(frame, result)


def test_exact_forecast_with_uneven_drops_inside_the_slice() -> None:
    """No noise at all (nothing on the normal side to measure) and a different drop per leaf."""
    rng = np.random.default_rng(12)
    frame = grid({"channel": 6, "region": 10, "device": 4}, rng)
    hit = under(frame, (("channel", "channel2"), ("device", "device4")))
    frame.loc[hit, "real"] *= rng.uniform(0.3, 0.7, int(hit.sum()))
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("channel", "channel2"), ("device", "device4"))}
    assert result.explained == pytest.approx(1.0)
    check_additive(frame, result)


def test_a_mild_drop_under_heavy_noise_over_many_leaves() -> None:
    """36,000 leaves with 20 % forecast noise, one value down 55 %: found, and nothing else."""
    rng = np.random.default_rng(13)
    frame = grid({"channel": 10, "region": 30, "device": 12, "plan": 10}, rng, noise=0.2)
    plant(frame, {"region": "region17"}, 0.45)
    result = localize(frame, ["channel", "region", "device", "plan"])
    assert labels(result) == {(("region", "region17"),)}
    check_additive(frame, result)


def test_sparse_counts_where_one_slice_stopped() -> None:
    """0–8 events per leaf (Poisson): relative deviations of ±2 are everyday noise, and the slice
    that stopped must still come first, with most of the change."""
    rng = np.random.default_rng(14)
    frame = grid({"channel": 6, "device": 4, "country": 8}, rng)
    rate = rng.uniform(0.5, 4.0, len(frame))
    frame["expected"] = rng.poisson(rate).astype(float)
    frame["real"] = rng.poisson(rate).astype(float)
    frame.loc[frame["device"] == "device2", "real"] = 0.0
    result = localize(frame, ["channel", "device", "country"])
    assert result.causes[0].combination == (("device", "device2"),)
    assert result.causes[0].share > 0.5
    check_additive(frame, result)


def test_rows_out_of_order_and_column_order_give_the_same_causes() -> None:
    rng = np.random.default_rng(4)
    frame = grid({"channel": 5, "region": 8, "device": 3}, rng, noise=0.05)
    plant(frame, {"channel": "channel2", "device": "device3"}, 0.2)
    first = localize(frame, ["channel", "region", "device"])
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    second = localize(shuffled, ["device", "region", "channel"])
    assert labels(first) == labels(second) == {(("channel", "channel2"), ("device", "device3"))}
    assert first.causes[0].share == pytest.approx(second.causes[0].share)


def test_missing_and_empty_values_are_one_value_named_none() -> None:
    rng = np.random.default_rng(5)
    frame = grid({"channel": 5, "region": 6, "device": 4}, rng, noise=0.03)
    frame["channel"] = frame["channel"].astype(object)
    frame.loc[frame["channel"] == "channel5", "channel"] = None
    frame.loc[(frame["channel"] == "channel4") & (frame["device"] == "device1"), "channel"] = ""
    frame.loc[(frame["channel"] == "channel4") & (frame["device"] == "device2"), "channel"] = np.nan
    none = frame["channel"].isna() | (frame["channel"] == "")
    frame.loc[none, "real"] *= 0.3
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("channel", NONE_LABEL),)}
    cause = result.causes[0]
    assert cause.real == pytest.approx(frame.loc[none, "real"].sum())
    assert cause.expected == pytest.approx(frame.loc[none, "expected"].sum())


def test_no_anomaly_means_no_causes() -> None:
    rng = np.random.default_rng(6)
    frame = grid({"channel": 6, "region": 10, "device": 4, "plan": 3}, rng, noise=0.05)
    result = localize(frame, ["channel", "region", "device", "plan"])
    assert result.causes == ()
    assert result.explained == 0.0
    assert result.total_change == pytest.approx(frame["real"].sum() - frame["expected"].sum())


def test_no_change_at_all_and_empty_table() -> None:
    rng = np.random.default_rng(7)
    frame = grid({"channel": 3, "region": 4}, rng)
    result = localize(frame, ["channel", "region"])
    assert result.causes == () and result.total_change == 0.0 and result.explained == 0.0
    empty = localize(frame.iloc[:0], ["channel", "region"])
    assert empty.causes == () and empty.total_real == 0.0
    assert list(empty.to_frame().columns) == ["cause", "layer", "real", "expected", "change", "share", "risk"]


def test_hand_made_leaf_table() -> None:
    """tests/analysis/data/rootcause_hand.csv: 24 leaves, exact forecasts, ads × EU lost 60 %."""
    frame = pd.read_csv(DATA / "rootcause_hand.csv")
    result = localize(frame, ["channel", "region", "device"])
    assert labels(result) == {(("channel", "ads"), ("region", "EU"))}
    cause = result.causes[0]
    # By hand: ads/EU leaves expected 100 + 60 + 40 + 20 = 220, real 40 % of that = 88.
    assert cause.expected == pytest.approx(220.0)
    assert cause.real == pytest.approx(88.0)
    assert cause.share == pytest.approx(1.0)
    assert result.explained == pytest.approx(1.0)
    frame_out = result.to_frame()
    assert frame_out.loc[0, "cause"] == "channel=ads & region=EU"


def ratio_oracle(frame: pd.DataFrame, combination: tuple[tuple[str, str], ...]) -> tuple[float, float, float]:
    """(ratio real, ratio expected, share of the overall ratio change) by the docstring's definition."""
    rows = frame[under(frame, combination)]
    num_r, num_e, den_r, den_e = (frame[c].sum() for c in ["num_r", "num_e", "den_r", "den_e"])
    r_exp = num_e / den_e
    total = num_r / den_r - r_exp
    contribution = (
        (rows["num_r"].sum() - rows["num_e"].sum()) - r_exp * (rows["den_r"].sum() - rows["den_e"].sum())
    ) / den_r
    return (
        rows["num_r"].sum() / rows["den_r"].sum(),
        rows["num_e"].sum() / rows["den_e"].sum(),
        contribution / total,
    )


def test_ratio_that_fell_in_one_slice_only() -> None:
    rng = np.random.default_rng(8)
    base = grid({"channel": 5, "region": 8, "device": 3}, rng)
    frame = base[["channel", "region", "device"]].copy()
    frame["den_e"] = rng.integers(200, 2000, len(frame)).astype(float)
    # Visitors move by ±5 % everywhere; conversion is ~3 % with ±3 % noise, and halves on mobile in region3.
    frame["den_r"] = (frame["den_e"] * rng.uniform(0.95, 1.05, len(frame))).round()
    rate = rng.uniform(0.02, 0.04, len(frame))
    frame["num_e"] = frame["den_e"] * rate
    frame["num_r"] = frame["den_r"] * rate * rng.uniform(0.97, 1.03, len(frame))
    slice_ = (frame["region"] == "region3") & (frame["device"] == "device2")
    frame.loc[slice_, "num_r"] *= 0.5
    result = localize_ratio(frame, ["channel", "region", "device"], "num_r", "num_e", "den_r", "den_e")
    assert labels(result) == {(("device", "device2"), ("region", "region3"))}
    cause = result.causes[0]
    real, expected, share = ratio_oracle(frame, cause.combination)
    assert cause.real == pytest.approx(real)
    assert cause.expected == pytest.approx(expected)
    assert cause.change == pytest.approx(real - expected)
    assert cause.share == pytest.approx(share)
    assert 0.7 < cause.share < 1.3
    overall = frame["num_r"].sum() / frame["den_r"].sum() - frame["num_e"].sum() / frame["den_e"].sum()
    assert result.total_change == pytest.approx(overall)
    assert result.explained == pytest.approx(share)


def test_ratio_contributions_add_up_to_the_change_of_the_ratio() -> None:
    """Over a partition of the leaves (every value of one attribute) the shares sum to exactly 1."""
    rng = np.random.default_rng(9)
    frame = grid({"channel": 4, "region": 3}, rng)[["channel", "region"]]
    for col in ["num_r", "num_e", "den_r", "den_e"]:
        frame[col] = rng.uniform(10, 100, len(frame))
    shares = [ratio_oracle(frame, (("channel", v),))[2] for v in frame["channel"].unique()]
    assert sum(shares) == pytest.approx(1.0)


def test_unknown_dimension_is_a_clear_error_in_english_and_chinese() -> None:
    frame = pd.DataFrame({"channel": ["a"], "real": [1.0], "expected": [2.0]})
    with pytest.raises(QueryError) as err:
        localize(frame, ["chanel"])
    assert "did you mean 'channel'" in str(err.value)
    assert "您是不是想写 'channel'" in err.value.zh
    with pytest.raises(QueryError, match="numeric"):
        localize(frame.assign(real="x"), ["channel"])
    with pytest.raises(QueryError, match="at least one dimension"):
        localize(frame, [])


def test_many_attributes_with_many_values_stays_fast() -> None:
    """30 attributes (up to 2,000 values) over 40,000 leaves, a cause at layer 2: found, within seconds."""
    rng = np.random.default_rng(10)
    n = 40_000
    sizes = [2000, 500, 100, 50] + [int(s) for s in rng.integers(2, 30, 26)]
    frame = pd.DataFrame({f"d{i:02d}": rng.integers(0, s, n).astype(str) for i, s in enumerate(sizes)})
    frame["d02"] = rng.integers(0, 100, n).astype(str)
    frame["expected"] = rng.lognormal(3.0, 1.0, n)
    frame["real"] = frame["expected"] * (1 + rng.normal(0, 0.05, n))
    hit = (frame["d02"] == "7") & (frame["d05"] == "1")
    frame.loc[hit, "real"] *= 0.2
    dims = [f"d{i:02d}" for i in range(len(sizes))]
    start = time.perf_counter()
    result = localize(frame, dims)
    assert time.perf_counter() - start < 20
    assert labels(result) == {(("d02", "7"), ("d05", "1"))}
    check_additive(frame, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    noise=st.sampled_from([0.0, 0.1, 0.3]),
    zero_share=st.sampled_from([0.0, 0.3]),
)
def test_reported_figures_match_pandas_on_random_tables(
    seed: int, sizes: list[int], noise: float, zero_share: float
) -> None:
    rng = np.random.default_rng(seed)
    frame = grid({f"x{i}": s for i, s in enumerate(sizes)}, rng, noise=noise)
    frame.loc[rng.uniform(size=len(frame)) < zero_share, "real"] = 0.0
    frame = frame.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)
    if rng.uniform() < 0.5:
        plant(frame, {"x0": "x01"}, float(rng.uniform(0, 3)))
    result = localize(frame, [f"x{i}" for i in range(len(sizes))])
    if result.total_change != 0:
        check_additive(frame, result)
    assert len(result.causes) <= 10


def parse_truth(text: str) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted(tuple(p.split("=")) for p in part.split("&"))) for part in text.split(";")}  # type: ignore[misc]


@pytest.mark.skipif(not B0.is_dir(), reason="the Squeeze B0 cases are not in ../shared/data")
@pytest.mark.parametrize(
    ("folder", "case"),
    [
        ("B_cuboid_layer_1_n_ele_3", 1450769700),
        ("B_cuboid_layer_2_n_ele_1", 1451019300),
        ("B_cuboid_layer_2_n_ele_2", 1450769700),
        ("B_cuboid_layer_3_n_ele_2", 1450910100),
        ("B_cuboid_layer_3_n_ele_3", 1451197140),
    ],
)
def test_squeeze_b0_cases_are_matched_exactly(folder: str, case: int) -> None:
    info = pd.read_csv(B0 / folder / "injection_info.csv")
    truth = parse_truth(info.loc[info["timestamp"] == case, "set"].iloc[0])
    frame = pd.read_csv(B0 / folder / f"{case}.csv", dtype={d: str for d in "abcd"})
    result = localize(frame, list("abcd"), "real", "predict")
    assert labels(result) == truth
    check_additive(frame.rename(columns={"predict": "expected"}), result)


def test_the_method_reads_in_both_languages() -> None:
    """The method line the CLI's caption and the explain page show, in English and in Chinese."""
    frame = grid({"channel": 6, "region": 10, "device": 4}, np.random.default_rng(2), noise=0.08)
    plant(frame, {"channel": "channel4"}, 0.5)
    result = localize(frame, ["channel", "region", "device"])
    assert result.method.startswith("RiskLoc (Kalander 2022); noise cutoff") and "layers 1-3" in result.method
    assert (
        result.method_zh.startswith("RiskLoc（Kalander 2022）；噪声阈值") and "第 1–3 层" in result.method_zh
    )
