"""A project written in Chinese: Chinese names for sources, dimensions and metrics, GBK data,
and every message — errors and notes — in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.project import Project

YAML = """\
project: {name: 中文项目, timezone: Asia/Shanghai, language: zh, currency: CNY}
sources:
  订单: {path: 订单.csv, time: 下单时间, entity: 客户}
dimensions:
  渠道: {label: 渠道}
metrics:
  收入: {type: sum, source: 订单, column: 金额, format: currency}
  订单数: {type: count, source: 订单}
  客单价: {type: formula, expr: "收入 / 订单数", format: currency}
north_star: 收入
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    rows = "下单时间,客户,渠道,金额\n" + "".join(
        f"2026-11-{d:02d} 10:00:00,c{d % 5},{'微信' if d % 2 else '抖音'},{d * 10}\n" for d in range(1, 21)
    )
    (tmp_path / "订单.csv").write_bytes(rows.encode("gbk"))
    (tmp_path / "northstar.yml").write_text(YAML, encoding="utf-8")
    return tmp_path


def test_chinese_names_and_gbk_data(project_dir: Path) -> None:
    project = Project.load(project_dir)
    frame = project.query(["收入", "客单价"], by=["渠道"], start="2026-11-01", end="2026-11-20").frame
    wechat = frame[frame["渠道"] == "微信"].iloc[0]
    odd = [d for d in range(1, 21) if d % 2]
    assert wechat["收入"] == sum(d * 10 for d in odd)
    assert wechat["客单价"] == pytest.approx(sum(d * 10 for d in odd) / len(odd))


def test_messages_and_notes_in_chinese(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    runner = CliRunner()
    result = runner.invoke(app, ["query", "收人", "--project", str(project_dir)])
    assert result.exit_code == 1
    assert "错误: 未知的指标 '收人'（您是不是想写 '收入'" in result.output
    result = runner.invoke(app, ["query", "收入", "--grain", "week", "--project", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "注: 数据从 2026-11-01 开始" in result.output
    assert "¥" in result.output


def test_an_unknown_language_is_a_bad_option(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--lang`` takes en or zh; anything else is refused (exit code 2), not read as English."""
    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(app, ["query", "收入", "--lang", "fr", "--project", str(project_dir)])
    assert result.exit_code == 2
    assert "'fr': choose en or zh" in result.output
    assert (
        CliRunner().invoke(app, ["query", "收入", "--lang", "en", "--project", str(project_dir)]).exit_code
        == 0
    )
