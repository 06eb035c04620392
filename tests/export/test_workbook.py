"""xlsx: sheets, table, number formats, charts, heatmap and About, read back with openpyxl."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from northstar.export import write_result
from northstar.export.changes import BAD, GOOD
from northstar.export.trends import MAX_SERIES
from northstar.results import QueryResult


def _load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _rows(ws, min_row: int = 1) -> list[tuple]:
    return list(ws.iter_rows(min_row=min_row, values_only=True))


def _colour_scales(ws) -> dict[str, list[str]]:
    """sqref → the scale's colours as RRGGBB, lowest first."""
    out = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            assert rule.type == "colorScale"
            out[str(cf.sqref)] = [c.rgb[-6:] for c in rule.colorScale.color]
    return out


def test_sheets_in_english(result: QueryResult, tmp_path: Path) -> None:
    wb = _load(write_result(result, tmp_path / "out.xlsx"))
    assert wb.sheetnames == ["Data", "Revenue", "Conversion rate", "Changes", "About"]


def test_sheets_in_chinese(result: QueryResult, tmp_path: Path) -> None:
    wb = _load(write_result(result, tmp_path / "out.xlsx", lang="zh"))
    assert wb.sheetnames == ["数据", "收入", "转化率", "变化", "说明"]
    assert wb["数据"]["C1"].value == "收入"
    assert wb["变化"]["C3"].value == "收入 环比 %"


def test_data_sheet_is_a_table_with_frozen_header(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["Data"]
    assert list(ws.tables) == ["NorthstarData"]
    table = ws.tables["NorthstarData"]
    assert table.ref == "A1:J10"
    assert table.autoFilter is not None
    assert ws.freeze_panes == "C2"
    rows = _rows(ws)
    assert rows[0][:4] == ("Period", "channel", "Revenue", "Conversion rate")
    assert rows[0][6] == "Revenue % prev"
    assert len(rows) == 1 + len(result.frame)
    assert rows[1][:4] == (datetime(2024, 1, 1), "微信", 1000, 0.02)


def test_data_sheet_null_cells_are_empty(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["Data"]
    douyin = ws["B4"].value, ws["D4"].value
    assert douyin == ("抖音", None)
    assert ws["E2"].value is None  # revenue__prev in the first week
    assert all(c.value not in (0, "nan", "NaN") for c in ws["E"][1:4])


def test_number_formats_follow_the_metric(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["Data"]
    assert ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].number_format == '"$"#,##0'  # currency, 0 decimals, USD
    assert ws["D2"].number_format == "0.0%"  # percent, 1 decimal
    assert ws["G5"].number_format == "+0.0%;-0.0%;0.0%"  # revenue__prev_pct
    assert ws["D4"].number_format == "0.0%"  # an empty cell keeps the column's format


def test_pivot_sheet_per_metric(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["Conversion rate"]
    rows = _rows(ws)
    # ordered by the latest value, largest first
    assert rows[0][:4] == ("Period", "抖音", "web", "微信")
    assert [r[0] for r in rows[1:4]] == ["2024-W01", "2024-W02", "2024-W03"]  # labels, as in the CLI
    assert rows[1][1] is None  # 抖音 had no conversion in the first week
    assert rows[3][1:4] == pytest.approx((0.05, 0.04, 0.03))
    assert ws["B3"].number_format == "0.0%"
    assert ws.freeze_panes == "B2"


def test_pivot_sheets_have_line_charts_on_their_ranges(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.xlsx")
    wb = _load(path)
    assert len(wb["Revenue"]._charts) == 1
    assert len(wb["Conversion rate"]._charts) == 1
    assert not wb["Data"]._charts
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart2.xml").decode()
    assert "<c:lineChart>" in xml
    refs = re.findall(r"<c:f>([^<]*)</c:f>", xml)
    assert "'Conversion rate'!$A$2:$A$4" in refs  # categories: the periods
    for col in "BCD":
        assert f"'Conversion rate'!${col}$1" in refs  # series name: the channel
        assert f"'Conversion rate'!${col}$2:${col}$4" in refs
    assert 'dispBlanksAs val="zero"' not in xml  # gaps (the default): a null is no drop to 0


def test_several_dimensions_are_joined(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame.assign(region="华东")
    two = QueryResult(frame, result.metrics, ("channel", "region"), "week", result.start, result.end)
    ws = _load(write_result(two, tmp_path / "out.xlsx"))["Revenue"]
    assert ws["B1"].value == "抖音 / 华东"


def test_many_series_chart_the_top_12_with_a_note(result: QueryResult, tmp_path: Path) -> None:
    weeks = sorted(result.frame["period"].unique())
    rows = [
        {"period": w, "channel": f"c{i:02d}", "revenue": 100.0 * i + k, "conversion_rate": i / 100}
        for k, w in enumerate(weeks)
        for i in range(20)
    ]
    many = QueryResult(pd.DataFrame(rows), result.metrics, ("channel",), "week", result.start, result.end)
    path = write_result(many, tmp_path / "out.xlsx")
    ws = _load(path)["Conversion rate"]
    header = _rows(ws)[0]
    assert header[1] == "c19" and len([h for h in header if h and h.startswith("c")]) == 20
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "top" in c.value]
    assert notes and "top 12 of 20" in notes[0]
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart2.xml").decode()
    assert xml.count("<c:ser>") == MAX_SERIES


def test_no_dimensions_gives_one_trend_sheet_with_a_chart_per_metric(
    result: QueryResult, tmp_path: Path
) -> None:
    frame = result.frame[result.frame["channel"] == "web"].drop(columns="channel")
    flat = QueryResult(frame, result.metrics, (), "week", result.start, result.end, ("prev",))
    wb = _load(write_result(flat, tmp_path / "out.xlsx"))
    assert wb.sheetnames == ["Data", "Trend", "Changes", "About"]
    ws = wb["Trend"]
    assert _rows(ws)[0][:3] == ("Period", "Revenue", "Conversion rate")
    assert len(ws._charts) == 2


def test_no_grain_has_no_trend_sheets(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame[result.frame["period"] == result.frame["period"].max()]
    total = QueryResult(
        frame.drop(columns=[c for c in frame.columns if "__" in c or c == "period"]),
        result.metrics,
        ("channel",),
        None,
        result.start,
        result.end,
    )
    wb = _load(write_result(total, tmp_path / "out.xlsx"))
    assert wb.sheetnames == ["Data", "About"]


def test_changes_heatmap_green_for_good(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["Changes"]
    assert _rows(ws, 3)[0][:4] == ("Period", "channel", "Revenue % prev", "Conversion rate % prev")
    assert "Green is good" in ws["A1"].value
    scales = _colour_scales(ws)
    assert scales == {"C4:C12": [BAD[1:], "FFFFFF", GOOD[1:]], "D4:D12": [BAD[1:], "FFFFFF", GOOD[1:]]}
    rule = next(iter(ws.conditional_formatting)).rules[0]
    assert [(v.type, float(v.val)) for v in rule.colorScale.cfvo][1] == ("num", 0.0)
    assert ws["C7"].value == pytest.approx(0.1)
    assert ws["C4"].value is None


def test_changes_heatmap_reversed_for_lower_is_better(result_lower: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result_lower, tmp_path / "out.xlsx"))["Changes"]
    scales = _colour_scales(ws)
    assert scales["C4:C12"] == [BAD[1:], "FFFFFF", GOOD[1:]]  # revenue: higher is better
    assert scales["D4:D12"] == [GOOD[1:], "FFFFFF", BAD[1:]]  # refund rate: a rise is bad
    assert "Refund rate" in ws["A1"].value


def test_no_changes_sheet_without_comparisons(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame.drop(columns=[c for c in result.frame.columns if "__" in c])
    plain = QueryResult(frame, result.metrics, ("channel",), "week", result.start, result.end)
    assert "Changes" not in _load(write_result(plain, tmp_path / "out.xlsx")).sheetnames


def test_about_sheet(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx"))["About"]
    pairs = {r[0]: r[1] for r in _rows(ws) if r[0]}
    assert pairs["Query"] == "Revenue, Conversion rate by channel per week, 2024-01-01 – 2024-01-21"
    assert (pairs["Start"], pairs["End"], pairs["Grain"]) == ("2024-01-01", "2024-01-21", "week")
    assert pairs["Notes"] == "Week of 2024-01-15 is incomplete."
    generated = datetime.fromisoformat(pairs["Generated at"])
    assert generated.tzinfo is not None
    definitions = [r for r in _rows(ws) if r[0] in ("revenue", "conversion_rate")]
    assert definitions == [
        ("revenue", "Revenue", "currency", 0, "USD", "higher"),
        ("conversion_rate", "Conversion rate", "percent", 1, None, "higher"),
    ]


def test_about_sheet_in_chinese(result: QueryResult, tmp_path: Path) -> None:
    ws = _load(write_result(result, tmp_path / "out.xlsx", lang="zh"))["说明"]
    pairs = {r[0]: r[1] for r in _rows(ws) if r[0]}
    assert pairs["查询"] == "收入、转化率，按channel，每周，2024-01-01 – 2024-01-21"
    assert pairs["粒度"] == "周"


def test_awkward_metric_labels_become_valid_unique_sheet_names(result: QueryResult, tmp_path: Path) -> None:
    a = replace(result.metrics[0], label="Revenue / net: [EUR]? very long label indeed")
    b = replace(result.metrics[1], label="Revenue / net: [EUR]? very long label indeed, too")
    odd = replace(result, metrics=(a, b), start=date(2024, 1, 1))
    names = _load(write_result(odd, tmp_path / "out.xlsx")).sheetnames
    assert len(names) == len({n.casefold() for n in names}) == 5
    for name in names:
        assert len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
    assert names[1] == "Revenue _ net_ _EUR__ very long"
    assert names[2] == "Revenue _ net_ _EUR__ very (2)"


def test_text_is_never_a_formula(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame.copy()
    frame["channel"] = frame["channel"].replace({"web": '=HYPERLINK("http://x")'})
    evil = QueryResult(frame, result.metrics, ("channel",), "week", result.start, result.end)
    ws = _load(write_result(evil, tmp_path / "out.xlsx"))["Data"]
    assert ws["B3"].data_type == "s"


def test_hourly_periods_show_their_time(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame.assign(period=result.frame["period"] + pd.Timedelta(hours=13))
    hourly = QueryResult(frame, result.metrics, ("channel",), "hour", result.start, result.end, ("prev",))
    wb = _load(write_result(hourly, tmp_path / "out.xlsx"))
    assert wb["Data"]["A2"].value == datetime(2024, 1, 1, 13)
    for sheet, cell in [("Data", "A2"), ("Changes", "A4")]:
        assert wb[sheet][cell].number_format == "yyyy-mm-dd hh:mm"
    assert wb["Revenue"]["A2"].value == "2024-01-01 13:00"


def test_empty_result_still_makes_a_workbook(result: QueryResult, tmp_path: Path) -> None:
    empty = QueryResult(
        result.frame.iloc[0:0], result.metrics, ("channel",), "week", result.start, result.end, ("prev",)
    )
    wb = _load(write_result(empty, tmp_path / "out.xlsx"))
    assert wb.sheetnames == ["Data", "Revenue", "Conversion rate", "Changes", "About"]
    assert wb["Data"].tables["NorthstarData"].ref == "A1:J2"  # a header and one empty row
    assert all(v is None for row in _rows(wb["Data"], 2) for v in row)
    assert not wb["Revenue"]._charts


def test_data_sheet_groups_each_metrics_comparisons(result: QueryResult, tmp_path: Path) -> None:
    """The engine's frame groups columns per comparison; the Data sheet per metric."""
    frame = result.frame.assign(
        revenue__yoy=1.0, revenue__yoy_change=2.0, revenue__yoy_pct=0.5, conversion_rate__yoy=0.1
    )
    engine_order = [
        "period", "channel", "revenue", "conversion_rate",
        "revenue__prev", "conversion_rate__prev", "revenue__yoy", "conversion_rate__yoy",
        "revenue__prev_change", "revenue__prev_pct", "conversion_rate__prev_change",
        "conversion_rate__prev_pct", "revenue__yoy_change", "revenue__yoy_pct",
    ]  # fmt: skip
    both = replace(result, frame=frame[engine_order], comparisons=("prev", "yoy"))
    rows = _rows(_load(write_result(both, tmp_path / "out.xlsx"))["Data"])
    assert rows[0] == (
        "Period", "channel", "Revenue", "Conversion rate",
        "Revenue (prev)", "Revenue change prev", "Revenue % prev",
        "Revenue (YoY)", "Revenue change YoY", "Revenue % YoY",
        "Conversion rate (prev)", "Conversion rate change prev", "Conversion rate % prev",
        "Conversion rate (YoY)",
    )  # fmt: skip
    assert rows[4][4:10] == (1000, 100, pytest.approx(0.1), 1, 2, 0.5)  # 微信, second week


@pytest.mark.parametrize(("lang", "label"), [("en", "Channel"), ("zh", "渠道")])
def test_dimension_labels_on_every_sheet(result: QueryResult, tmp_path: Path, lang: str, label: str) -> None:
    labelled = replace(result, dimension_labels={"channel": ("Channel", "渠道")})
    wb = _load(write_result(labelled, tmp_path / "out.xlsx", lang=lang))
    data, _, _, changes, about = wb.worksheets
    assert data["B1"].value == changes["B3"].value == label
    pairs = {r[0]: r[1] for r in _rows(about) if r[0]}
    assert label in pairs["Query" if lang == "en" else "查询"]
    assert pairs["Dimensions" if lang == "en" else "维度"] == label


def test_about_notes_in_the_chosen_language(result: QueryResult, tmp_path: Path) -> None:
    noted = replace(result, notes_zh=("2024-01-15 这一周不完整。",))
    pairs = {r[0]: r[1] for r in _rows(_load(write_result(noted, tmp_path / "o.xlsx", lang="zh"))["说明"])}
    assert pairs["备注"] == "2024-01-15 这一周不完整。"
