"""Read YAML into plain data that remembers where each value came from.

Every mapping read is a :class:`Node` (a ``dict``) that knows its file and the line of each key,
so validation can point at ``northstar.yml:14``. ``include:`` lists other YAML files (globs
allowed, relative to the including file) whose top-level sections are merged in.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Any

import yaml

from northstar.errors import Issue, SpecError
from northstar.spec.messages import make_issue


class Node(dict):
    """A mapping from YAML with the file it came from and the line of each key."""

    file: str
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str | None = None) -> int:
        if key is not None and key in self.key_lines:
            return self.key_lines[key]
        return self.line


class Seq(list):
    """A YAML sequence with its file and the line of each item."""

    file: str
    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    filename = "<string>"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.file = loader.filename
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain names", key_node.start_mark
            )
        key = str(key)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} appears twice in the same mapping (first on line {out.key_lines[key]})",
                key_node.start_mark,
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    out = Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.file = loader.filename
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file; syntax errors become a :class:`SpecError` with file:line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        twin = path.with_suffix(".yaml" if path.suffix == ".yml" else ".yml")
        if twin.exists():
            raise SpecError(
                [make_issue("file-other-suffix", name, None, path=name, other=twin.name)]
            ) from None
        raise SpecError([make_issue("file-missing", name, None, path=name)]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([make_issue("yaml-encoding", name, None, path=name, reason=exc.reason)]) from None

    class Loader(_Loader):
        filename = name

    try:
        data = yaml.load(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        twice = re.match(r"key '(.*)' appears twice .* line (\d+)", problem)
        if twice:
            issue = make_issue("duplicate-key", name, line, key=twice.group(1), first=twice.group(2))
            raise SpecError([issue]) from None
        code = "yaml-tabs" if "'\\t'" in problem or "\t" in problem else "yaml-syntax"
        raise SpecError([make_issue(code, name, line, problem=problem)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([make_issue("yaml-syntax", name, None, problem=str(exc))]) from None
    except ValueError as exc:  # a value YAML reads as a date that is not one: 2026-02-30
        line, token = _bad_date(text)
        if token is None:
            raise SpecError([make_issue("yaml-syntax", name, None, problem=str(exc))]) from None
        raise SpecError([make_issue("yaml-bad-date", name, line, token=token)]) from None
    if data is None:
        data = Node()
        data.file, data.line, data.key_lines = name, 1, {}
    return data


_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w:-])")


def _bad_date(text: str) -> tuple[int | None, str | None]:
    """The first line holding a ``YYYY-MM-DD`` that is not a calendar day, and the token."""
    import datetime as dt

    for number, line in enumerate(text.splitlines(), start=1):
        for m in _DATE.finditer(line.split("#", 1)[0]):
            try:
                dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return number, m.group(0)
    return None, None


MERGEABLE = (
    "sources",
    "dimensions",
    "metrics",
    "teams",
    "funnels",
    "activity",
    "retention",
    "targets",
    "scorecards",
    "okrs",
    "leads",
)
ENTRY_KIND = {  # how one entry of a section is called in messages
    "sources": "source",
    "dimensions": "dimension",
    "metrics": "metric",
    "teams": "team",
    "funnels": "funnel",
    "activity": "activity",
    "retention": "retention",
    "drivers": "driver",
    "watch": "watch rule",
    "notify": "notification channel",
    "targets": "targets of metric",
    "scorecards": "scorecard",
    "okrs": "OKR",
    "leads": "lead set",
}


def load_project_data(path: Path) -> tuple[Node, list[Issue]]:
    """Load ``northstar.yml`` and the files it includes, merged into one :class:`Node`.

    Returns the merged data and the issues met while merging (duplicates across files, includes
    that match nothing). Sections in :data:`MERGEABLE` are merged key by key.
    """
    root_dir = path.parent
    data = load_yaml(path, _display(path, root_dir))
    issues: list[Issue] = []
    if not isinstance(data, Node):
        raise SpecError([make_issue("yaml-shape", _display(path, root_dir), 1)])
    includes = data.pop("include", None)
    if includes is None:
        return data, issues
    if isinstance(includes, str):
        includes = [includes]
    for pattern in includes:
        if not isinstance(pattern, str):
            issues.append(make_issue("include-type", data.file, data.line_of("include")))
            continue
        matches = sorted(glob.glob(str(root_dir / pattern), recursive=True))
        if not matches:
            issues.append(make_issue("include-missing", data.file, data.line_of("include"), pattern=pattern))
        for match in matches:
            sub = load_yaml(Path(match), _display(Path(match), root_dir))
            if not isinstance(sub, Node):
                issues.append(make_issue("yaml-shape", _display(Path(match), root_dir), 1))
                continue
            for section, value in sub.items():
                if section not in MERGEABLE:
                    issues.append(
                        make_issue(
                            "include-section",
                            sub.file,
                            sub.line_of(section),
                            section=section,
                            allowed=", ".join(MERGEABLE),
                        )
                    )
                    continue
                target = data.get(section)
                if target is None:
                    data[section] = value
                    data.key_lines[section] = sub.line_of(section)
                    continue
                if not isinstance(value, Node) or not isinstance(target, Node):
                    continue
                for key, item in value.items():
                    if key in target:
                        issues.append(
                            make_issue(
                                "duplicate-name",
                                value.file,
                                value.line_of(key),
                                kind=ENTRY_KIND[section],
                                name=key,
                                other=f"{target.file}:{target.line_of(key)}",
                            )
                        )
                        continue
                    target[key] = item
                    target.key_lines[key] = value.line_of(key)
    return data, issues


def _display(path: Path, root: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
