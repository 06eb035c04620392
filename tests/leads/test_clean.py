"""The cleaned lead list on the demo's messy leads: nothing dropped silently, the per-channel
summary against an independent computation (phonenumbers in a plain loop, pandas group-bys),
the written files, and bad input."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from python_calamine import CalamineWorkbook

from northstar.errors import DataError, UserError
from northstar.leads import clean as clean_module
from northstar.leads.clean import SUMMARY_COLUMNS, clean_leads, write_clean
from northstar.leads.reader import lead_columns, read_leads
from northstar.spec.leads import LeadSet

SMALL = Path(__file__).parent / "data" / "leads_small.csv"
LEAD_SET = LeadSet(source="leads", columns={"cost": "cost_usd"})
EMAIL = re.compile(r"[a-z0-9._%+'-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}")  # the demo's addresses need no more


@pytest.fixture(scope="module")
def demo_leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The demo's leads.csv (4 000 leads), written and read back as `northstar leads clean` does."""
    import pyarrow.csv as pv

    from northstar.scaffold.demo_leads import leads_table
    from northstar.scaffold.demo_world import Calendar

    rng = np.random.default_rng(np.random.SeedSequence(7).spawn(8)[6])  # the demo's leads stream
    table = leads_table(rng, Calendar(date(2026, 11, 26), 120), 100_000)
    path = tmp_path_factory.mktemp("leads") / "leads.csv"
    pv.write_csv(table, path)
    return read_leads(path)


@pytest.fixture(scope="module")
def demo_result(demo_leads: pd.DataFrame) -> clean_module.CleanResult:
    return clean_leads(demo_leads, LEAD_SET, "created_at", workers=1)


def test_nothing_is_dropped_silently(demo_leads: pd.DataFrame, demo_result: clean_module.CleanResult) -> None:
    r = demo_result
    assert len(demo_leads) >= 1000
    ids = demo_leads["lead_id"]
    assert len(r.clean) + len(r.rejected) == len(ids)
    assert set(r.clean["lead_id"]) | set(r.rejected["lead_id"]) == set(ids)
    assert not set(r.clean["lead_id"]) & set(r.rejected["lead_id"])
    assert r.rejected["reason"].notna().all() and (r.rejected["reason"] != "").all()
    assert r.leads["lead_id"].tolist() == ids.tolist()  # every lead, in input order
    duplicates = r.rejected[r.rejected["reason"].str.startswith("duplicate of ")]
    kept_ids = set(r.clean["lead_id"])
    assert duplicates["reason"].str.removeprefix("duplicate of ").isin(kept_ids).all()
    assert set(r.clean.columns) & {"reject_reason", "duplicate_of", "kept"} == set()


def test_summary_equals_an_independent_computation(
    demo_leads: pd.DataFrame, demo_result: clean_module.CleanResult
) -> None:
    # validity straight from phonenumbers, one row at a time; e-mails by a plain regex
    def phone_ok(raw: object) -> bool:
        if not isinstance(raw, str):
            return False
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(raw, "CN"))
        except phonenumbers.NumberParseException:
            return False

    def mail_ok(raw: object) -> bool:
        return isinstance(raw, str) and EMAIL.fullmatch(raw.strip().lower()) is not None

    reasons = demo_result.rejected.set_index("lead_id")["reason"]
    f = pd.DataFrame(
        {
            "channel": demo_leads["channel"].fillna("(no channel)"),
            "phone": demo_leads["phone"].map(phone_ok),
            "email": demo_leads["email"].map(mail_ok),
            "suspicious": demo_result.leads["suspicious"].ne("").to_numpy(),
            "dup": demo_leads["lead_id"].map(reasons).fillna("").str.startswith("duplicate of"),
            "rej": demo_leads["lead_id"].map(reasons).notna()
            & ~demo_leads["lead_id"].map(reasons).fillna("").str.startswith("duplicate of"),
            "cost": pd.to_numeric(demo_leads["cost_usd"]),
        }
    )
    f["clean"] = ~f["dup"] & ~f["rej"]

    def row(g: pd.DataFrame) -> dict[str, float]:
        clean = int(g["clean"].sum())
        return {
            "leads": len(g),
            "valid_phone_pct": g["phone"].mean(),
            "valid_email_pct": g["email"].mean(),
            "suspicious_leads": int(g["suspicious"].sum()),
            "duplicates": int(g["dup"].sum()),
            "rejected": int(g["rej"].sum()),
            "clean": clean,
            "cost": g["cost"].sum(),
            "cost_per_clean_lead": g["cost"].sum() / clean if clean else np.nan,
        }

    expected = [{"channel": c, **row(g)} for c, g in sorted(f.groupby("channel"), key=lambda x: x[0])]
    expected.append({"channel": "all channels", **row(f)})
    got = demo_result.summary.to_dict("records")
    assert [g["channel"] for g in got] == [e["channel"] for e in expected]
    for g, e in zip(got, expected, strict=True):
        for k, v in e.items():
            if isinstance(v, float):
                assert g[k] == pytest.approx(v, nan_ok=True), (e["channel"], k)
            else:
                assert g[k] == v, (e["channel"], k)
    total = got[-1]
    assert total["leads"] == total["rejected"] + total["duplicates"] + total["clean"]
    assert list(demo_result.summary.columns) == list(SUMMARY_COLUMNS)


def test_the_demos_junk_is_rejected_with_its_reason(demo_result: clean_module.CleanResult) -> None:
    rej = demo_result.rejected.set_index("lead_id")
    leads = demo_result.leads.set_index("lead_id")
    junk = leads[leads["phone"].isin(["n/a", "asdf", "-", "12345"]) & ~leads["email_valid"]]
    assert len(junk) > 0
    assert rej.loc[junk.index, "reason"].str.startswith("invalid phone").all()


def test_small_file_by_hand() -> None:
    r = clean_leads(read_leads(SMALL), LEAD_SET, "created_at", workers=1)
    reasons = dict(zip(r.rejected["lead_id"], r.rejected["reason"], strict=True))
    assert reasons == {
        # L003 came first (1 Nov) with the e-mail L001 shares; L002 shares L001's number
        "L001": "duplicate of L003",
        "L002": "duplicate of L003",
        "L006": "test number",
        "L007": "invalid phone, invalid email",
        "L010": "invalid phone, disposable email",
        "L012": "no contact",
    }
    assert r.clean["lead_id"].tolist() == ["L003", "L004", "L005", "L008", "L009", "L011", "L013", "L014"]
    last = clean_leads(
        read_leads(SMALL), LEAD_SET.model_copy(update={"keep": "last"}), "created_at", workers=1
    )
    assert (
        dict(zip(last.rejected["lead_id"], last.rejected["reason"], strict=True))["L001"]
        == "duplicate of L002"
    )
    total = r.summary.iloc[-1]
    assert (total["leads"], total["clean"], total["duplicates"], total["rejected"]) == (14, 8, 2, 4)
    assert total["cost"] == pytest.approx(288.75) and total["cost_per_clean_lead"] == pytest.approx(
        288.75 / 8
    )
    affiliate = r.summary.set_index("channel").loc["affiliate"]
    assert affiliate["clean"] == 0 and pd.isna(affiliate["cost_per_clean_lead"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_xlsx_has_clean_rejected_and_summary_sheets(tmp_path: Path, lang: str) -> None:
    r = clean_leads(read_leads(SMALL), LEAD_SET, "created_at", workers=1)
    path = write_clean(r, tmp_path / "clean.xlsx", lang)
    book = CalamineWorkbook.from_path(str(path))
    names = ["Clean", "Rejected", "Summary"] if lang == "en" else ["有效线索", "剔除线索", "渠道汇总"]
    assert book.sheet_names == names
    clean, rejected, summary = (book.get_sheet_by_name(n).to_python() for n in names)
    assert (
        len(clean) == 1 + len(r.clean)
        and len(rejected) == 1 + len(r.rejected)
        and len(summary) == 1 + len(r.summary)
    )
    header = clean[0]
    assert header[0] == "lead_id" and ("phone (E.164)" if lang == "en" else "电话（E.164）") in header
    assert [row[0] for row in clean[1:]] == r.clean["lead_id"].tolist()
    assert summary[-1][0] == ("all channels" if lang == "en" else "全部渠道")
    assert summary[-1][1] == 14 and summary[-1][-1] == pytest.approx(288.75 / 8)
    reason_col = rejected[0].index("reason" if lang == "en" else "原因")
    expected = r.rejected["reason"].tolist()
    if lang == "zh":  # screening's words in Chinese, lead ids kept
        from northstar.leads.words import value_zh

        expected = [value_zh(x) for x in expected]
        assert any(str(x).startswith("重复于 L") for x in expected) and "duplicate" not in str(expected)
    assert [row[reason_col] for row in rejected[1:]] == expected


def test_csv_holds_the_clean_leads(tmp_path: Path) -> None:
    r = clean_leads(read_leads(SMALL), LEAD_SET, "created_at", workers=1)
    path = write_clean(r, tmp_path / "clean.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert back["lead_id"].tolist() == r.clean["lead_id"].tolist()
    assert (
        back["phone (E.164)"].iloc[0] is np.nan or back["phone (E.164)"].isna().iloc[0]
    )  # L003 has no phone


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = clean_leads(read_leads(SMALL), LEAD_SET, "created_at", workers=1)
    target = tmp_path / "clean.xlsx"
    target.write_bytes(b"old")

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(clean_module, "_write_xlsx", broken)
    with pytest.raises(UserError) as e:
        write_clean(r, target)
    assert "No space left" in str(e.value)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["clean.xlsx"]


def test_empty_leads(tmp_path: Path) -> None:
    empty = read_leads(SMALL).head(0)
    r = clean_leads(empty, LEAD_SET, "created_at", workers=1)
    assert len(r.clean) == len(r.rejected) == 0
    assert r.summary["channel"].tolist() == ["all channels"] and r.summary["leads"].tolist() == [0]
    write_clean(r, tmp_path / "empty.xlsx")


def test_bad_input_is_explained_in_both_languages(tmp_path: Path) -> None:
    frame = read_leads(SMALL)
    with pytest.raises(DataError) as e:
        clean_leads(frame, LEAD_SET, "created")
    assert "did you mean 'created_at'" in str(e.value) and "您是不是想写 'created_at'" in e.value.zh
    with pytest.raises(DataError) as e:
        clean_leads(frame.drop(columns=["phone", "email"]), LEAD_SET, "created_at")
    assert "neither the phone column" in str(e.value) and "既没有电话列" in e.value.zh
    bad_cost = frame.assign(cost_usd=["12", "lots"] + ["1"] * (len(frame) - 2))
    with pytest.raises(DataError) as e:
        clean_leads(bad_cost, LEAD_SET, "created_at", workers=1)
    assert "lead 2: cost 'lots'" in str(e.value) and "不是数字" in e.value.zh
    r = clean_leads(frame, LEAD_SET, "created_at", workers=1)
    with pytest.raises(UserError) as e:
        write_clean(r, tmp_path / "clean.pdf")
    assert ".xlsx" in str(e.value) and "请使用" in e.value.zh


def test_column_mapping() -> None:
    columns = ["id", "mobile", "mail", "src", "created_at"]
    mapped = lead_columns(["id=id", "phone=mobile", "email=mail", "channel=src", "cost="], columns)
    assert (mapped.id, mapped.phone, mapped.email, mapped.channel, mapped.cost) == (
        "id",
        "mobile",
        "mail",
        "src",
        None,
    )
    with pytest.raises(UserError) as e:
        lead_columns(["phnoe=mobile"], columns)
    assert "did you mean 'phone'" in str(e.value) and "您是不是想写 'phone'" in e.value.zh
    with pytest.raises(UserError) as e:
        lead_columns(["phone=mobil"], columns)
    assert "did you mean 'mobile'" in str(e.value)
    with pytest.raises(UserError):
        lead_columns(["phone"], columns)


def test_excel_input_with_numbers_for_phones(tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"
    pd.DataFrame(
        {
            "lead_id": ["A", "B"],
            "phone": [13957172048, 13162084957],
            "email": ["a@b.co", None],
            "created_at": pd.to_datetime(["2026-11-01 09:00", "2026-11-01 09:00"]),
        }
    ).to_excel(path, index=False, engine="xlsxwriter")
    r = clean_leads(read_leads(path), LEAD_SET, "created_at", workers=1)
    assert r.leads["phone_e164"].tolist() == ["+8613957172048", "+8613162084957"]
    assert r.summary["channel"].tolist() == ["(no channel)", "all channels"]  # no channel column
