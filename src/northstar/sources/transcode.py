"""UTF-8 copies of CSV files written in other encodings, kept in a small cache.

DuckDB's CSV reader only reads UTF-8 (and Latin-1/UTF-16) without its ``encodings`` extension, which
cannot be downloaded offline. A GBK file is therefore copied once to UTF-8, streaming in 1 MiB
chunks (bounded memory), and DuckDB reads the copy.

The cache lives in ``$NORTHSTAR_CACHE_DIR`` (else ``$XDG_CACHE_HOME/northstar`` or
``~/.cache/northstar``), under ``transcoded/``. A copy is keyed by the source file's absolute path,
size, modification time and encoding, so an edited file is copied again. Copies are written to a
``.part`` file and renamed into place, so a reader never sees half a file. Each new copy removes older
copies of the same file, copies unused for :data:`MAX_AGE_DAYS` days and stale ``.part`` files;
:func:`clear_cache` removes everything.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from northstar.errors import DataError

CHUNK_BYTES = 1 << 20
MAX_AGE_DAYS = 7
_PART_MAX_AGE_S = 24 * 3600


def cache_dir() -> Path:
    """The folder holding transcoded copies (created on demand)."""
    root = os.environ.get("NORTHSTAR_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "northstar"
    folder = base / "transcoded"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clear_cache() -> None:
    """Remove every transcoded copy."""
    shutil.rmtree(cache_dir(), ignore_errors=True)


def utf8_copy(path: Path, encoding: str, shown: str) -> Path:
    """A UTF-8 copy of ``path`` (read as ``encoding``) without byte-order mark; made once, then reused.

    ``shown`` is how messages name the file. Bytes that are not valid in ``encoding`` raise a
    :class:`DataError` naming the line (1-based, the header is line 1).
    """
    folder = cache_dir()
    real = path.resolve()
    st = real.stat()
    file_key = hashlib.sha256(str(real).encode()).hexdigest()[:16]
    version = hashlib.sha256(f"{st.st_size}|{st.st_mtime_ns}|{encoding}".encode()).hexdigest()[:16]
    target = folder / f"{file_key}-{version}.csv"
    if target.exists():
        os.utime(target)
        return target
    _prune(folder, keep=target, same_file=f"{file_key}-")
    fd, part_name = tempfile.mkstemp(dir=folder, prefix=f"{file_key}-", suffix=".part")
    part = Path(part_name)
    try:
        with os.fdopen(fd, "wb") as out, real.open("rb") as src:
            _transcode(src, out, encoding, shown)
        os.replace(part, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    return target


def _transcode(src, out, encoding: str, shown: str) -> None:  # type: ignore[no-untyped-def]
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    first = True
    while True:
        chunk = src.read(CHUNK_BYTES)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as e:
            bad = bytes(e.object[e.start : e.start + 4])
            line = lines_before + bytes(e.object[: e.start]).count(b"\n") + 1
            raise DataError(
                f"{shown}: line {line} (the header is line 1) has bytes {bad.hex(' ')} that are not valid "
                f"{encoding}; set encoding: to the file's real encoding"
            ) from None
        if first and text:
            text = text.removeprefix("\ufeff")
            first = False
        out.write(text.encode("utf-8"))
        lines_before += chunk.count(b"\n")
        if final:
            return


def _prune(folder: Path, keep: Path, same_file: str) -> None:
    """Drop older copies of the same file, copies unused for long, and abandoned ``.part`` files."""
    now = time.time()
    for entry in folder.iterdir():
        if entry == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            age = now - entry.stat().st_mtime
            if entry.suffix == ".part":
                if age > _PART_MAX_AGE_S:
                    entry.unlink()
            elif entry.name.startswith(same_file) or age > MAX_AGE_DAYS * 86400:
                entry.unlink()
