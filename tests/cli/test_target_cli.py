"""``northstar target`` on the demo project as users see it (snapshots, en and zh), its JSON and
the ``--yaml`` snippet that goes under ``targets:`` in northstar.yml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.project import Project
from northstar.scaffold.demo import generate_demo
from tests.conftest import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
ARGS = ["target", "conversion_rate", "--benchmark", "10%", "--grain", "week", "--steps", "3"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("target") / "shop", days=120, users=2000).path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_target_table(demo: Path, lang: str) -> None:
    code, out, notes = run(*ARGS, "-p", str(demo), "--lang", lang)
    assert code == 0, out + notes
    assert_snapshot(SNAPSHOTS / f"target-conversion-rate.{lang}.txt", out + notes)


def test_json_agrees_with_the_api(demo: Path) -> None:
    code, out, _ = run(*ARGS, "-p", str(demo), "--json")
    assert code == 0
    data = json.loads(out)
    api = Project.load(demo).propose_targets("conversion_rate", benchmark=0.1, grain="week")
    assert data["benchmark"] == 0.1 and data["rule"] == "benchmark" and data["grain"] == "week"
    assert [s["target"] for s in data["steps"]] == pytest.approx([s.target for s in api.steps], rel=1e-12)
    assert [s["period"] for s in data["steps"]] == ["2026-W49", "2026-W50", "2026-W51"]  # W48 in progress
    assert data["steps"][-1]["target"] == pytest.approx(0.1)  # the last step reaches the benchmark


def test_yaml_snippet_loads_as_targets(demo: Path, tmp_path: Path) -> None:
    code, out, _ = run(*ARGS, "-p", str(demo), "--yaml")
    assert code == 0
    assert out.startswith("targets:\n  conversion_rate:\n    - period: 2026-W49          # 2026, 2026-Q1")
    entries = yaml.safe_load(out)["targets"]["conversion_rate"]
    api = Project.load(demo).propose_targets("conversion_rate", benchmark=0.1, grain="week")
    assert [e["period"] for e in entries] == [s.period for s in api.steps]
    for entry, step in zip(entries, api.steps, strict=True):
        assert set(entry) == {"period", "floor", "target", "stretch", "set_by", "why"}
        for band in ("floor", "target", "stretch"):
            assert entry[band].endswith("%")
            assert float(entry[band][:-1]) / 100 == pytest.approx(getattr(step, band), abs=5e-5)
        assert entry["why"] == step.why_short
    # the project's own loader accepts the pasted snippet
    copy = tmp_path / "shop"
    shutil.copytree(demo, copy)
    for path in copy.rglob("*.yml"):  # the demo's own conversion_rate targets make way for the paste
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "conversion_rate" in (data.get("targets") or {}):
            del data["targets"]["conversion_rate"]
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with (copy / "northstar.yml").open("a", encoding="utf-8") as f:
        f.write("\n" + out)
    loaded = Project.load(copy)
    assert not [i for i in loaded.issues if i.level == "error"]
    targets = getattr(loaded.spec, "targets", None)
    if targets is not None:  # the targets: section of the spec
        pasted = targets["conversion_rate"].root
        assert [e.target for e in pasted] == pytest.approx([float(e["target"][:-1]) / 100 for e in entries])


def test_history_only_with_a_short_history_warns(demo: Path) -> None:
    code, out, notes = run("target", "orders", "--grain", "month", "-p", str(demo))
    assert code == 0
    assert "from history" in out and "Normal (short history)" in out
    assert "too little history (3 complete months)" in " ".join(notes.split())


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (["conversion_rat"], "did you mean 'conversion_rate'", "您是不是想写 'conversion_rate'"),
        (["conversion_rate", "--benchmark", "3"], "write 3% or 0.03", "请写 3% 或 0.03"),
        (["conversion_rate", "--benchmark", "lots"], "a number such as 0.03 or 3%", "例如 0.03 或 3%"),
        (["conversion_rate", "--grain", "day"], "week, month or quarter", "按周、月或季度"),
        (["conversion_rate", "--grain", "quarter"], "no complete quarter", "没有完整的季度"),
    ],
)
def test_bad_input_is_explained_in_both_languages(demo: Path, args: list[str], en: str, zh: str) -> None:
    for lang, text in (("en", en), ("zh", zh)):
        code, _, message = run("target", *args, "-p", str(demo), "--lang", lang)
        assert code == 1 and text in " ".join(message.split()), message
