"""The ``drivers:`` section: shorthand, and the checks against metrics and dimensions, with every
message in English and Chinese, the file and line, and "did you mean" for near names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from northstar.errors import SpecError
from northstar.project import Project
from northstar.spec.drivers import Driver


def test_shorthand_and_defaults() -> None:
    d = Driver.model_validate("visitors * conversion_rate")
    assert (d.formula, d.over, d.method, d.tolerance) == ("visitors * conversion_rate", None, "auto", 1e-6)
    assert Driver.model_validate({"over": "channel"}).over == "channel"


def _write(tmp: Path, drivers: dict[str, Any]) -> Path:
    pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-05-01 10:00", "2026-05-02 11:00"]),
            "user": ["u1", "u2"],
            "channel": ["web", "app"],
            "amount": [10.0, 20.0],
        }
    ).to_csv(tmp / "orders.csv", index=False)
    spec = {
        "project": {"name": "d", "timezone": "UTC"},
        "sources": {"orders": {"path": "orders.csv", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "metrics": {
            "revenue": {"type": "sum", "source": "orders", "column": "amount"},
            "orders": {"type": "count", "source": "orders"},
            "aov": {"type": "formula", "expr": "revenue / orders"},
        },
        "north_star": "revenue",
        "drivers": drivers,
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return tmp


@pytest.mark.parametrize(
    ("drivers", "en", "zh", "suggestion"),
    [
        (
            {"revenu": "orders * aov"},
            "there is no metric 'revenu' to decompose",
            "没有名为 'revenu' 的指标",
            "revenue",
        ),
        ({"revenue": "orders * aovv"}, "unknown metric 'aovv'", "没有指标 'aovv'", "aov"),
        (
            {"revenue": {"over": "chanel"}},
            "over 'chanel', which is not a dimension",
            "不是已定义的维度",
            "channel",
        ),
        (
            {"revenue": "revenue / orders * orders"},
            "the formula uses 'revenue' itself",
            "用到了 'revenue' 本身",
            None,
        ),
        ({"revenue": {"label": "x"}}, "says neither what 'revenue' equals", "既没有公式", None),
        ({"revenue": "orders * aov", "aov": "revenue / orders"}, "drivers loop: ", "驱动因素形成循环", None),
        ({"revenue": "orders * 'aov'"}, "text values are not allowed", "不允许出现文本值", None),
    ],
)
def test_bad_entries_name_file_line_and_fix(
    tmp_path: Path, drivers: dict[str, Any], en: str, zh: str, suggestion: str | None
) -> None:
    _write(tmp_path, drivers)
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    issues = [i for i in info.value.issues if i.code.startswith("driver")]
    assert issues, info.value
    issue = issues[0]
    assert en in issue.message and zh in issue.message_zh
    assert issue.file is not None and issue.file.endswith("northstar.yml") and issue.line is not None
    lines = (tmp_path / "northstar.yml").read_text().splitlines()
    pointed = lines[issue.line - 1]  # the entry's line, or its formula:/over: line
    assert any(f"{key}:" in pointed for key in [*drivers, "over", "formula"]), pointed
    if suggestion:
        assert suggestion in issue.suggestions
    assert issue.fix and issue.fix_zh


def test_loop_names_its_path(tmp_path: Path) -> None:
    _write(tmp_path, {"revenue": "orders * aov", "aov": "revenue / orders"})
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    paths = sorted(i.message for i in info.value.issues if i.code == "driver-cycle")
    assert paths == ["drivers loop: aov → revenue → aov", "drivers loop: revenue → aov → revenue"]


def test_a_valid_tree_loads(tmp_path: Path) -> None:
    _write(tmp_path, {"revenue": {"formula": "orders * aov", "over": "channel", "method": "shapley"}})
    project = Project.load(tmp_path)
    assert project.spec.drivers["revenue"].method == "shapley"


def test_metric_names_that_are_sql_keywords_work_in_formulas() -> None:
    """``new + returning`` (both SQL keywords) parses: known metric names are quoted first."""
    import pandas as pd

    from northstar.spec.expressions import evaluate_formula, parse_formula

    parsed = parse_formula("new + returning - order / 2", known=["new", "returning", "order"])
    assert parsed.columns == {"new", "returning", "order"}
    frame = pd.DataFrame({"new": [1.0], "returning": [2.0], "order": [4.0]})
    assert evaluate_formula(parsed, frame).tolist() == [1.0]
