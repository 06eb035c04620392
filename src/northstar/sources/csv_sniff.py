"""Guessing how a CSV file is written: its text encoding and its delimiter.

Both guesses start from a sample of the file's start (64 KiB). A guess can be overridden in the
spec with ``encoding:`` and ``delimiter:``.

Encodings: a UTF-8 byte-order mark means UTF-8 (the mark is dropped); a sample that decodes as
UTF-8 is UTF-8; otherwise charset-normalizer decides, and the GB family (GB2312, GBK) is widened to
GB18030, its superset, so that rare characters later in the file still decode. A sample that decodes as UTF-8 proves little (an
export of 20 000 ASCII rows may hold its first ``微信`` at row 19 992), so :func:`file_encoding`
then reads the whole file in 1 MiB chunks (bounded memory): UTF-8 throughout is UTF-8, else GB18030
throughout whose other-than-ASCII text is mostly CJK is GB18030, else a :class:`DataError` asks for
``encoding:``. The CJK test keeps a Latin-1 ``résumé`` — which happens to be valid GB18030 — from
being read as Chinese.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from northstar.errors import DataError

SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 1 << 20
_CJK_SAMPLE_CHARS = 100_000  # non-ASCII characters enough to judge "mostly CJK"
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


def file_encoding(path: Path, where: str) -> str:
    """The encoding of the whole file: :func:`detect_encoding` on its start, checked to the end when
    that said UTF-8 (see the module docstring)."""
    encoding = detect_encoding(read_sample(path), where)
    if encoding != "utf-8":
        return encoding
    bad_line = _first_bad_line(path, "utf-8")
    if bad_line is None:
        return "utf-8"
    if _first_bad_line(path, "gb18030", cjk=True) is None:
        return "gb18030"
    raise DataError(
        f"{where}: line {bad_line} (the header is line 1) has bytes that are not UTF-8, and the file "
        "is neither UTF-8 nor GB18030: set `encoding:` on the source (for example gb18030, big5 or latin-1)"
    )


def _first_bad_line(path: Path, encoding: str, *, cjk: bool = False) -> int | None:
    """The line (1-based) of the first bytes that do not decode, streaming in chunks; None when the
    whole file decodes. With ``cjk``, a file whose non-ASCII text is not mostly CJK counts as bad
    at line 1."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before, wide, ideographs = 0, 0, 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                return lines_before + bytes(e.object[: e.start]).count(b"\n") + 1
            lines_before += chunk.count(b"\n")
            if cjk and wide < _CJK_SAMPLE_CHARS and not text.isascii():
                wide += sum(1 for ch in text if ord(ch) > 127)
                ideographs += sum(1 for ch in text if _is_cjk(ch))
            if not chunk:
                break
    if cjk and (wide == 0 or ideographs / wide < 0.8):
        return 1
    return None


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
    cjk = sum(1 for ch in wide if _is_cjk(ch))
    return cjk / len(wide) >= 0.8


def _is_cjk(ch: str) -> bool:
    """A CJK ideograph, CJK punctuation or a full-width form."""
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


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
