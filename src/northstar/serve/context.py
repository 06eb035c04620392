"""What the server holds between requests: the project, the app database, the cache, one lock.

- The project is loaded at start (a broken project stops the server before it listens) and
  loaded again when the files part of the data version changes (a source file, a YAML file) or a
  lead rating is added (a lead set's table is rebuilt on load). A reload that fails keeps the
  previous project and answers the request with the load's error (400 ``invalid_project``).
- Work on the engine and the app database is serialised by one re-entrant lock: DuckDB's
  connection and SQLite's are shared, and two queries at once would only share the 2 cores anyway.
  Cached answers are served without computing, under the same lock only to read the version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from northstar.project import Project, find_project_file
from northstar.serve.cache import ResultCache, file_version
from northstar.watch.store import AlertStore

if TYPE_CHECKING:
    from northstar.engine import Engine

__all__ = ["ServerContext"]

T = TypeVar("T")


class ServerContext:
    """The loaded project, the app database, the result cache and the lock (module docstring)."""

    def __init__(
        self,
        project_path: str | Path | None,
        store: AlertStore | str | Path | None = None,
        *,
        require_token: bool = False,
        engine: Engine | str | None = None,
    ) -> None:
        self.file = find_project_file(project_path)
        self.lock = threading.RLock()
        self.engine_name = engine
        self._project = Project.load(self.file, engine=engine)
        self._files = file_version(self._project.spec, self.file)
        if store is None:
            self.store: AlertStore = self._project.app_store()
            self._own_store = True
        elif isinstance(store, AlertStore):
            self.store = store
            self._own_store = False
        else:
            self.store = AlertStore.open(store)
            self._own_store = True
        self._ratings = self.store.data_version()[3]
        self.require_token = require_token
        self.cache = ResultCache()

    def version(self) -> tuple[Any, ...]:
        """The data version (files, app database), see :mod:`northstar.serve.cache`."""
        with self.lock:
            return (file_version(self._project.spec, self.file), self.store.data_version())

    def project(self) -> Project:
        """The project, loaded again first when its files or the lead ratings changed."""
        with self.lock:
            files = file_version(self._project.spec, self.file)
            ratings = self.store.data_version()[3]
            if files != self._files or ratings != self._ratings:
                self._project = Project.load(self.file, engine=self.engine_name)
                self._files = file_version(self._project.spec, self.file)
                self._ratings = ratings
            return self._project

    def cached(self, endpoint: str, params: Mapping[str, Any], compute: Callable[[Project], T]) -> T:
        """``compute(project)`` cached under (endpoint, params, data version)."""
        with self.lock:
            project = self.project()
            version = (self._files, self.store.data_version())
            return self.cache.get(endpoint, params, version, lambda: compute(project))

    def close(self) -> None:
        if self._own_store:
            self.store.close()
