"""Results cached per (endpoint, normalised parameters, data version).

The **data version** is the pair (files, app):

- files: ``(path, size, mtime_ns)`` of the project's YAML files (``*.yml`` / ``*.yaml`` beside and
  under ``northstar.yml``, not under ``.northstar/``), of every file each file source reads (its
  glob resolved now: a new file matching it changes the version), and of each lead set's ratings
  file. A missing file counts as ``(path, -1, -1)``. A source read from a database (``url:``) has
  no file to look at: it contributes the current ``ttl``-second slot (default 300 s), so its
  results are recomputed at least that often.
- app: :meth:`northstar.watch.store.AlertStore.data_version` — counts and largest ids of alerts,
  alert events, targets and lead ratings, so any write through the app or the CLI shows.

Touching a source file (a new mtime or size) or writing to the app database gives a new version,
and every result is recomputed under it; entries of older versions are never served again and
leave the cache as the least recently used ones (at most ``max_entries``).

**Normalised parameters**: the query parameters without empty values, each stripped of spaces,
sorted by name; values that are lists keep their order (``by=country,channel`` is not
``by=channel,country``: the columns come in that order).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from northstar.spec.models import ProjectSpec

__all__ = ["ResultCache", "file_version", "normalise"]

T = TypeVar("T")
Stamp = tuple[str, int, int]


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_size, st.st_mtime_ns)


def file_version(spec: ProjectSpec, project_file: Path, *, ttl: float = 300.0) -> tuple[Any, ...]:
    """The files part of the data version (module docstring)."""
    from northstar.errors import NorthstarError
    from northstar.sources.locate import resolve_files

    base = project_file.parent
    stamps: list[Any] = []
    ymls = {project_file, *base.rglob("*.yml"), *base.rglob("*.yaml")}
    stamps += [_stamp(p) for p in sorted(ymls) if ".northstar" not in p.relative_to(base).parts]
    for name, source in sorted(spec.sources.items()):
        if source.path is None:
            stamps.append(("url", name, int(time.time() // ttl)))
            continue
        try:
            files = resolve_files(source, base).files
        except NorthstarError:
            stamps.append((name, "missing"))
            continue
        stamps += [_stamp(p) for p in files]
    for lead_set in spec.leads.values():
        if lead_set.ratings:
            stamps.append(_stamp(base / lead_set.ratings))
    return tuple(stamps)


def normalise(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Parameters as a hashable key (module docstring)."""
    out: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None or value == "" or value == [] or value == ():
            continue
        if isinstance(value, str):
            value = value.strip()
        elif isinstance(value, list | tuple):
            value = tuple(v.strip() if isinstance(v, str) else v for v in value)
        out.append((key, value))
    return tuple(sorted(out, key=lambda kv: kv[0]))


class ResultCache:
    """A thread-safe LRU map of (endpoint, parameters, data version) → result, with hit counts."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        version: Any,
        compute: Callable[[], T],
        lock: AbstractContextManager[Any] | None = None,
    ) -> T:
        """The cached result of ``compute`` for this key, computing it on a miss. Errors are not cached.

        With ``lock``, a miss computes holding it, after looking again once it holds it: a request
        that waited for another's computation of the same key is answered by it."""
        key = (endpoint, normalise(params), version)
        found, value = self._lookup(key, count_miss=lock is None)
        if found:
            return value  # type: ignore[no-any-return]
        if lock is None:
            value = compute()
            self._store(key, value)
            return value
        with lock:  # stored before the lock is let go: whoever waited for it finds the answer
            found, value = self._lookup(key, count_miss=True)
            if not found:
                value = compute()
                self._store(key, value)
        return value  # type: ignore[no-any-return]

    def _store(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def _lookup(self, key: Any, *, count_miss: bool) -> tuple[bool, Any]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return True, self._items[key]
            if count_miss:
                self.misses += 1
        return False, None

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
