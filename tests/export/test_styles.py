"""Number formats, sheet names and headers of the xlsx export."""

from __future__ import annotations

import doctest
from dataclasses import replace

import pytest

from northstar.export import styles
from northstar.export.styles import SheetNames, number_format, unique
from northstar.results import MetricInfo

BASE = MetricInfo("m", "M", "M", None, "number", 2, "higher")


def test_doctests() -> None:
    assert doctest.testmod(styles).failed == 0


@pytest.mark.parametrize(
    ("changes", "currency", "expected"),
    [
        ({"format": "percent", "decimals": 1}, None, "0.0%"),
        ({"format": "percent", "decimals": 0}, None, "0%"),
        ({"format": "integer", "decimals": 0}, None, "#,##0"),
        ({"format": "currency", "decimals": 2}, "USD", '"$"#,##0.00'),
        ({"format": "currency", "decimals": 0, "unit": "CNY"}, "USD", '"¥"#,##0'),
        ({"format": "currency", "decimals": 2}, "CHF", '#,##0.00 "CHF"'),
        ({"format": "number", "decimals": 2}, None, "#,##0.00"),
        ({"format": "duration", "decimals": 1, "unit": "hours"}, None, '#,##0.0 "hours"'),
    ],
)
def test_number_format(changes: dict, currency: str | None, expected: str) -> None:
    assert number_format(replace(BASE, **changes), currency) == expected


def test_sheet_names_are_valid_and_unique() -> None:
    names = SheetNames()
    assert names.add("Data") == "Data"
    assert names.add("data") == "data (2)"
    assert names.add("a/b\\c[d]e:f*g?h") == "a_b_c_d_e_f_g_h"
    assert names.add("'quoted'") == "quoted"
    assert names.add("") == "Sheet"
    assert names.add("History") == "History_"
    long = "渠道" * 20
    first, second = names.add(long), names.add(long)
    assert first == long[:31]
    assert len(second) == 31 and second.endswith(" (2)")


def test_headers_are_unique_ignoring_case() -> None:
    assert unique(["Revenue", "revenue", "Revenue", ""]) == ["Revenue", "revenue (2)", "Revenue (3)", "-"]
