"""write_result: format choice, errors, and atomic writes that never leave a partial file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import openpyxl
import pytest

import northstar.export
from northstar.errors import UserError
from northstar.export import FORMATS, write_result
from northstar.export import changes as changes_module
from northstar.export import writer as writer_module
from northstar.results import QueryResult


def test_public_api() -> None:
    assert northstar.export.__all__ == ["FORMATS", "ExportFormat", "write_result"]
    assert FORMATS == ("csv", "json", "parquet", "xlsx")


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("r.csv", b"\xef\xbb\xbf"),
        ("r.json", b"{"),
        ("r.parquet", b"PAR1"),
        ("R.XLSX", b"PK"),
        ("r.pq", b"PAR1"),
    ],
)
def test_format_from_suffix(result: QueryResult, tmp_path: Path, name: str, magic: bytes) -> None:
    path = write_result(result, tmp_path / name)
    assert path == tmp_path / name
    assert path.read_bytes().startswith(magic)


def test_explicit_format_wins_over_suffix(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "report.dat", "parquet")
    assert path.read_bytes()[:4] == b"PAR1"


def test_unknown_suffix_is_a_user_error(result: QueryResult, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"cannot tell the export format.*--format"):
        write_result(result, tmp_path / "report.txt")
    assert not list(tmp_path.iterdir())


def test_unknown_format_and_language(result: QueryResult, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown export format 'xls'"):
        write_result(result, tmp_path / "r.xls", "xls")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="unknown export language 'fr'"):
        write_result(result, tmp_path / "r.xlsx", lang="fr")
    assert not list(tmp_path.iterdir())


def test_language_variants(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "r.xlsx", lang="zh-CN")
    assert openpyxl.load_workbook(path).sheetnames[0] == "数据"


def test_creates_missing_directories(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "a" / "b" / "r.csv")
    assert path.exists()


def test_file_mode_follows_umask_not_tempfile(result: QueryResult, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_result(result, tmp_path / "r.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def _half_then_fail(result: QueryResult, path: Path, lang: str) -> None:
    path.write_bytes(b"period,channel\n2024-01-01,")
    raise RuntimeError("disk on fire")


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_write_leaves_no_file(
    result: QueryResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setitem(writer_module.WRITERS, fmt, _half_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_result(result, tmp_path / f"r.{fmt}")
    assert not list(tmp_path.iterdir())  # neither the target nor a temporary file


def test_failed_write_keeps_the_old_file(
    result: QueryResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.csv"
    target.write_text("old content")
    monkeypatch.setitem(writer_module.WRITERS, "csv", _half_then_fail)
    with pytest.raises(RuntimeError):
        write_result(result, target)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_failure_midway_through_a_workbook(
    result: QueryResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("chart engine broke")

    monkeypatch.setattr("northstar.export.workbook.write_changes", boom)
    assert changes_module.write_changes is not boom
    with pytest.raises(RuntimeError, match="chart engine broke"):
        write_result(result, tmp_path / "r.xlsx")
    assert not list(tmp_path.iterdir())


def test_success_replaces_an_existing_file(result: QueryResult, tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    write_result(result, target)
    assert target.read_text().startswith('{"meta"')
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
