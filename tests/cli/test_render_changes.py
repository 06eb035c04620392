"""Change cells: the arrow follows the number printed, so a rounded zero never reads as a fall."""

from __future__ import annotations

from northstar.cli.render import format_change
from northstar.results import MetricInfo

RATE = MetricInfo("cr", "Conversion", "转化率", None, "percent", 1, "higher")
COUNT = MetricInfo("n", "Orders", "订单", None, "integer", 0, "higher")


def test_tiny_changes_print_as_no_change() -> None:
    assert format_change(-0.0001, RATE, -0.00004).plain == "•0.0 pp"
    assert format_change(-0.0004, COUNT).plain == "•0.0%"


def test_real_changes_keep_their_arrow() -> None:
    assert format_change(0.05, RATE, 0.003).plain == "▲0.3 pp"
    assert format_change(-0.123, COUNT).plain == "▼12.3%"
