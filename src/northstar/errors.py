"""Every error Northstar raises on purpose.

The tree::

    NorthstarError                 base of all of them; never raised itself
    ├── UserError                  the input is wrong; the message says how to fix it
    │   ├── SpecError              the project YAML is invalid; carries all ``Issue`` s at once
    │   ├── QueryError             a query names unknown metrics/dimensions or bad dates
    │   ├── ExpressionError        a filter or formula cannot be parsed or uses a forbidden construct
    │   ├── DataError              a data file or table cannot be read (names file, row, column)
    │   └── UnsupportedOnEngine    the chosen engine cannot compute this; it never guesses a number
    └── InternalError              a bug in Northstar; please report it

Library code raises these; only the CLI and the server turn them into messages for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal


class NorthstarError(Exception):
    """Base class of every error Northstar raises on purpose."""


class UserError(NorthstarError):
    """The user's input is wrong; the message says what and how to fix it (``zh``: in Chinese)."""

    def __init__(self, message: str = "", zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Issue:
    """One problem found while validating a project: where, what, how to fix, and near names."""

    level: Literal["error", "warning"]
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    fix: str | None = None
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    message_zh: str | None = None
    fix_zh: str | None = None

    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def render(self, lang: str = "en") -> str:
        zh = lang == "zh"
        text = (self.message_zh or self.message) if zh else self.message
        if self.suggestions:
            names = ", ".join(repr(s) for s in self.suggestions)
            text += f"（您是不是想写 {names}？）" if zh else f" (did you mean {names}?)"
        fix = (self.fix_zh or self.fix) if zh else self.fix
        if fix:
            text += f" — {fix}"
        level = {"error": "错误", "warning": "警告"}[self.level] if zh else self.level
        where = self.where()
        return f"{where}: {level}: {text}" if where else f"{level}: {text}"


class SpecError(UserError):
    """The project spec is invalid. ``issues`` holds every problem found, not just the first."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = tuple(issues)
        errors = [i for i in self.issues if i.level == "error"]
        super().__init__(f"{len(errors)} error(s) in the project:\n" + "\n".join(i.render() for i in errors))


class QueryError(UserError):
    """A query asks for something the project does not define (metric, dimension, date)."""


class ExpressionError(UserError):
    """A filter or formula could not be parsed, or uses a column or function that is not allowed."""

    def __init__(self, message: str, zh: str | None = None, suggestions: tuple[str, ...] = ()):
        self.suggestions = suggestions
        names = ", ".join(repr(s) for s in suggestions)
        hint = f" (did you mean {names}?)" if suggestions else ""
        hint_zh = f"（您是不是想写 {names}？）" if suggestions else ""
        super().__init__(message + hint, (zh or message) + hint_zh)
        self.plain = message
        self.plain_zh = zh or message


class DataError(UserError):
    """A data file or table cannot be read; the message names the file, row and column."""


class UnsupportedOnEngine(UserError):
    """The chosen engine cannot compute this request; Northstar refuses rather than approximates."""

    def __init__(self, engine: str, what: str, hint: str | None = None):
        self.engine = engine
        self.what = what
        msg = f"{what} is not supported on {engine}"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)


class InternalError(NorthstarError):
    """A bug in Northstar: an invariant broke. Please report it with the command you ran."""
