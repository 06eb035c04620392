"""Where a file source's data is: resolving ``path`` (a file or glob) and its format.

Paths are relative to ``base_dir``, the folder of ``northstar.yml``. A glob reads many files of the
same format as one table; a glob that matches nothing is an error, as is a 0-byte file.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from northstar.errors import DataError
from northstar.spec.models import Source

EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
}


@dataclass(frozen=True)
class FileSet:
    """The files of one source, in a stable (sorted) order, and their format."""

    pattern: str  # the path as written in the spec, for messages
    files: tuple[Path, ...]
    format: str  # csv | parquet | jsonl | xlsx | ga4
    ga4_storage: str | None = None  # for format ga4: jsonl or parquet


def infer_format(path: str) -> str | None:
    """The format a file name implies, or None if its extension is unknown."""
    name = path.lower()
    for ext, fmt in EXTENSION_FORMATS.items():
        if name.endswith(ext):
            return fmt
    return None


def resolve_files(source: Source, base_dir: Path) -> FileSet:
    """Expand the source's ``path`` into existing, non-empty files and settle its format."""
    if source.path is None:
        raise DataError("the source has neither path nor url; set path: data/file.csv or url: …")
    pattern = source.path
    full = Path(pattern) if Path(pattern).is_absolute() else base_dir / pattern
    if glob.has_magic(pattern):
        files = tuple(sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file()))
        if not files:
            raise DataError(f"{pattern}: no file matches this pattern (looked in {base_dir})")
    else:
        if not full.exists():
            raise DataError(f"{pattern}: file not found (looked for {full})")
        if full.is_dir():
            raise DataError(f"{pattern}: is a folder; write a glob such as {pattern.rstrip('/')}/*.parquet")
        files = (full,)
    for f in files:
        if f.stat().st_size == 0:
            raise DataError(
                f"{shown_path(f, base_dir)}: file is empty (0 bytes); it needs at least a header row"
            )

    fmt: str | None = source.format
    inferred = infer_format(str(files[0]))
    if fmt is None:
        if inferred is None:
            raise DataError(
                f"{pattern}: cannot tell the format from the file extension {files[0].suffix!r}; "
                "set format: csv | parquet | jsonl | xlsx | ga4"
            )
        fmt = inferred
    ga4_storage = None
    if fmt == "ga4":
        ga4_storage = "parquet" if inferred == "parquet" else "jsonl"
    return FileSet(pattern=pattern, files=files, format=fmt, ga4_storage=ga4_storage)


def shown_path(path: Path, base_dir: Path) -> str:
    """A path as the user would write it: relative to base_dir when inside it."""
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return str(path)
