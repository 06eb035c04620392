"""The docs keep up with the code: each test fails when a doc misses something the code has.

README.md, ARCHITECTURE.md and docs/spec.md are read as text; nothing here edits them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

import northstar
from northstar.cli.main import app
from northstar.project import Project
from northstar.spec.models import METRIC_TYPES, ProjectSpec

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
SPEC_DOC = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "src" / "northstar"

PUBLIC_API = {
    "ActiveUsersResult",
    "AhaResult",
    "AlignmentMap",
    "DataError",
    "ExplainResult",
    "ExpressionError",
    "FunnelResult",
    "InternalError",
    "Issue",
    "LifecycleResult",
    "MetricInfo",
    "NorthstarError",
    "OkrResult",
    "Project",
    "QueryError",
    "QueryResult",
    "RepurchaseCurve",
    "RetentionResult",
    "ReviewPack",
    "ScorecardResult",
    "SpecError",
    "TargetProposal",
    "TargetSetting",
    "UnsupportedOnEngine",
    "UserError",
    "Validation",
    "__version__",
}


def fenced(text: str, lang: str) -> list[str]:
    """The bodies of the ```lang blocks in ``text``."""
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## ``."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, flags=re.DOTALL | re.MULTILINE)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def cli_commands() -> list[str]:
    return [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"northstar {command}" in README, f"README.md does not mention `northstar {command}`"


def test_the_cli_has_commands() -> None:
    assert set(cli_commands()) >= {"check", "query", "init", "demo"}


@pytest.mark.parametrize("metric_type", METRIC_TYPES)
def test_every_metric_type_is_in_the_spec_doc(metric_type: str) -> None:
    assert re.search(rf"\b{metric_type}\b", SPEC_DOC), f"docs/spec.md does not describe type {metric_type!r}"
    assert f"`{metric_type}`" in README, f"README.md does not list metric type {metric_type!r}"


def top_level_folders() -> list[str]:
    """Folders under src/northstar holding at least one file (an empty leftover folder is not part
    of the package)."""
    return sorted(
        d.name
        for d in PACKAGE.iterdir()
        if d.is_dir()
        and d.name != "__pycache__"
        and any(f.is_file() and "__pycache__" not in f.parts for f in d.rglob("*"))
    )


@pytest.mark.parametrize("folder", top_level_folders())
def test_every_top_level_folder_is_in_the_architecture(folder: str) -> None:
    assert f"`{folder}/`" in ARCHITECTURE, f"ARCHITECTURE.md does not describe src/northstar/{folder}/"


def test_every_top_level_module_is_in_the_architecture() -> None:
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    missing = [m for m in modules if f"`{m}`" not in ARCHITECTURE]
    assert not missing, f"ARCHITECTURE.md does not describe {missing}"


def test_readme_test_command_is_what_ci_runs() -> None:
    ci_commands = [
        shlex.split(line)[0]
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    first_block = fenced(README, "sh")[0]
    readme_commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert len(readme_commands) == 2, "the README opens with exactly two commands: run and test"
    assert readme_commands[1] == ci_commands[0] == "scripts/test"
    assert (ROOT / "scripts" / "test").is_file()


def test_readme_install_command_uses_the_console_script() -> None:
    first_block = fenced(README, "sh")[0]
    install = first_block.strip().splitlines()[0]
    assert "pip install -e ." in install
    assert ".venv/bin/northstar demo" in install
    assert "demo" in cli_commands()


def test_readme_yaml_example_is_a_valid_spec() -> None:
    blocks = fenced(README, "yaml")
    assert len(blocks) == 1, "README.md has one ```yaml example"
    ProjectSpec.model_validate(yaml.safe_load(blocks[0]))


def test_readme_example_runs_and_gives_the_printed_numbers(tmp_path: Path) -> None:
    """The example project (YAML and csv from the README) loads without issues, and the numbers in
    the README's table are the ones Northstar computes."""
    (tmp_path / "northstar.yml").write_text(fenced(README, "yaml")[0], encoding="utf-8")
    (tmp_path / "orders.csv").write_text(fenced(README, "csv")[0], encoding="utf-8")
    project = Project.load(tmp_path)
    assert project.issues == ()
    result = project.query(
        ["revenue", "orders", "buyers", "aov"],
        by=["channel"],
        grain="week",
        start="2026-03-02",
        compare=["prev"],
        end="2026-03-22",
    )
    printed = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in README.splitlines()
        if re.match(r"^│ \d{4}-W\d\d ", line)
    ]
    computed = [
        [
            f"{row.period:%G-W%V}",
            row.channel,
            f"${row.revenue:.2f}",
            f"{row.orders:.0f}",
            f"{row.buyers:.0f}",
            f"${row.aov:.2f}",
        ]
        for row in result.frame.itertuples()
    ]
    assert [[r[0], r[1], r[2], r[4], r[6], r[8]] for r in printed] == computed


def test_public_api_is_pinned() -> None:
    assert set(northstar.__all__) == PUBLIC_API
    for name in northstar.__all__:
        assert hasattr(northstar, name)


def test_public_api_is_documented_in_the_readme() -> None:
    api = section(README, "Python API")
    documented = set(re.findall(r"`(\w+)`", api.split("`northstar.__all__`")[1]))
    assert documented == PUBLIC_API


def test_links_between_docs_resolve() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", README + ARCHITECTURE + contributing):
        if "://" not in target:
            assert (ROOT / target).exists(), f"broken link to {target}"
