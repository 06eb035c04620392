"""xlsx trend sheets: one series order and one colour per slice in every chart; partial periods."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from northstar.export import write_result
from northstar.results import QueryResult


def _series_colours(path: Path, sheet: str) -> dict[str, str]:
    """For every chart drawn from ``sheet``: the series' header cell → its line colour."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, str] = {}
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        for chart in charts:
            xml = z.read(chart).decode()
            for ser in re.findall(r"<c:ser>(.*?)</c:ser>", xml, re.S):
                ref = re.search(r"<c:tx><c:strRef><c:f>([^<]*)</c:f>", ser)
                assert ref is not None
                where, cell = ref.group(1).rsplit("!", 1)
                if where.strip("'") != sheet:
                    continue
                colour = re.search(r'<a:ln[^>]*>\s*<a:solidFill>\s*<a:srgbClr val="(\w+)"', ser)
                assert colour is not None
                out[wb[sheet][cell.replace("$", "")].value] = colour.group(1)
    return out


def test_every_sheet_has_one_series_order_and_one_colour_per_slice(
    result: QueryResult, tmp_path: Path
) -> None:
    frame = result.frame.copy()
    frame.loc[frame["channel"] == "微信", "conversion_rate"] = 0.5  # best converting, least revenue
    path = write_result(replace(result, frame=frame), tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(path)
    revenue = [c.value for c in wb["Revenue"][1]]
    conversion = [c.value for c in wb["Conversion rate"][1]]
    assert revenue == conversion == ["Period", "抖音", "web", "微信"]  # by total revenue
    colours = _series_colours(path, "Revenue")
    assert colours == _series_colours(path, "Conversion rate")
    assert len(set(colours.values())) == 3


@pytest.mark.parametrize(
    ("lang", "sheet", "label", "note"),
    [
        ("en", "Revenue", "2024-W03 (to 17 Jan)", "2024-W03 is a partial week"),
        ("zh", "收入", "2024-W03（截至1月17日）", "2024-W03 是不完整的周"),
    ],
)
def test_a_partial_last_period_is_labelled_and_noted(
    result: QueryResult, tmp_path: Path, lang: str, sheet: str, label: str, note: str
) -> None:
    cut = replace(result, end=date(2024, 1, 17))  # a Wednesday: the last week has 3 of its 7 days
    path = write_result(cut, tmp_path / "out.xlsx", lang=lang)
    ws = openpyxl.load_workbook(path)[sheet]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["2024-W01", "2024-W02", label]
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and note in c.value]
    assert notes and "2024-01-15" in notes[0] and "2024-01-17" in notes[0]
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart1.xml").decode()
    assert f"<c:v>{label}</c:v>" in xml  # the chart's category says so too


def test_a_partial_first_period_without_dimensions(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame[result.frame["channel"] == "web"].drop(columns="channel")
    flat = replace(result, frame=frame, dimensions=(), start=date(2024, 1, 3))
    ws = openpyxl.load_workbook(write_result(flat, tmp_path / "out.xlsx"))["Trend"]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["2024-W01 (from 3 Jan)", "2024-W02", "2024-W03"]
    assert any("2024-W01 is a partial week" in str(c.value) for row in ws.iter_rows() for c in row)


def test_whole_periods_have_no_note(result: QueryResult, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_result(result, tmp_path / "out.xlsx"))["Revenue"]
    assert not any("partial" in str(c.value) for row in ws.iter_rows() for c in row)
