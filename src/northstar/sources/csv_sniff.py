"""Guessing how a CSV file is written: its text encoding and its delimiter.

Both guesses look at a sample from the start of the file (64 KiB), never the whole file. A guess
can be overridden in the spec with ``encoding:`` and ``delimiter:``.

Encodings: a UTF-8 byte-order mark means UTF-8 (the mark is dropped); text that decodes as UTF-8
is UTF-8; otherwise charset-normalizer decides, and the GB family (GB2312, GBK) is widened to
GB18030, its superset, so that rare characters later in the file still decode.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from northstar.errors import DataError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "euc_cn", "cp936"}
_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def canonical_encoding(name: str, where: str) -> str:
    """The Python codec name for an encoding the user wrote (``GBK`` → ``gbk``); error if unknown."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise DataError(
            f"{where}: unknown encoding {name!r}; use e.g. utf-8, utf-8-sig, gb18030, gbk or latin-1"
        ) from None
    return "gb18030" if codec in _GB_FAMILY else codec


def detect_encoding(sample: bytes, where: str) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16``, ``gb18030`` or another Python codec name."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb18030") and _mostly_cjk(sample.decode("gb18030", errors="replace")):
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise DataError(
            f"{where}: cannot tell the text encoding; set encoding: (e.g. utf-8, gb18030, latin-1)"
        )
    name = codecs.lookup(best.encoding).name
    return "gb18030" if name in _GB_FAMILY else name


def _decodes(sample: bytes, encoding: str) -> bool:
    """Whether ``sample`` decodes; a multi-byte character cut at the sample's end is allowed."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_cjk(text: str) -> bool:
    """Non-ASCII text that is mostly CJK ideographs or CJK punctuation (how GBK text looks)."""
    wide = [ch for ch in text if ord(ch) > 127 and ch != "\ufffd"]
    if not wide:
        return False
    cjk = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return cjk / len(wide) >= 0.8


def decode_sample(sample: bytes, encoding: str) -> str:
    """The sample as text, without a partial last character or a byte-order mark."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    return text.removeprefix("\ufeff")


def sample_lines(text: str, complete: bool, limit: int = 50) -> list[str]:
    """Up to ``limit`` lines; the last one is dropped if the sample cut it short."""
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    return [line for line in lines[:limit] if line.strip()]


def canonical_delimiter(value: str, where: str) -> str:
    """The single delimiter character the user meant (``tab`` and ``\\t`` mean a tab)."""
    delim = _DELIMITER_WORDS.get(value.lower(), value)
    if len(delim) != 1:
        raise DataError(f"{where}: delimiter must be one character such as ',' ';' '|' or tab, not {value!r}")
    return delim


def detect_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into most fields and the other lines into as many."""
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)]
        if not counts or counts[0] <= 1:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def split_header_guess(header: str, current: str) -> str | None:
    """For a header read as one column: the delimiter that would have split it, if any."""
    for delim in DELIMITERS:
        if delim != current and delim in header:
            return delim
    return None
