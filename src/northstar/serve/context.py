"""What the server holds between requests: the project, the app database, the cache, one lock.

- The project is loaded at start (a broken project stops the server before it listens) and
  loaded again when the files part of the data version changes (a source file, a YAML file) or a
  lead rating is added (a lead set's table is rebuilt on load). A reload that fails keeps the
  previous project and answers the request with the load's error (400 ``invalid_project``).
- Work on the engine and the app database is serialised by one re-entrant lock: DuckDB's
  connection and SQLite's are shared, and two queries at once would only share the 2 cores anyway.
  Cached answers are served without computing and without the lock: the files' version is read
  by looking at them, the app database's on a second connection of its own (when the database
  is given by its place rather than as an open ``AlertStore``), so they never wait for another
  request's computation. A request that misses waits for the lock, then looks again — a
  computation it waited for may have answered it — and only then computes.
- :meth:`ServerContext.cached_json` caches the answer's JSON bytes (checked against the endpoint's
  response model once, when computed), so a cached answer is sent without being validated and
  serialised again; :mod:`northstar.serve.warm` fills the cache with the pages' default queries
  in a background thread when the server starts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import TypeAdapter

from northstar.project import Project, find_project_file
from northstar.serve.cache import ResultCache, file_version
from northstar.watch.store import AlertStore, app_store_target

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
        # the app database's version is read on a connection of its own when the database is
        # known by its place (not handed over open): no wait for the lock a computation holds
        self._versions: AlertStore | None = None
        if not isinstance(store, AlertStore):
            where = app_store_target(self._project.base_dir, None if store is None else str(store))
            self._versions = AlertStore.open(where)
        self._versions_lock = threading.Lock()
        self._ratings = self.store.data_version()[3]
        self.require_token = require_token
        self.cache = ResultCache()

    def version(self) -> tuple[Any, ...]:
        """The data version (files, app database), see :mod:`northstar.serve.cache`."""
        with self.lock:
            return (file_version(self._project.spec, self.file), self.store.data_version())

    def project(self) -> Project:
        """The project, loaded again first when its files or the lead ratings changed."""
        return self.current()[0]

    def current(self) -> tuple[Project, tuple[Any, ...]]:
        """The project (loaded again if needed) and the data version, holding the lock only to read
        the app database and to reload: the files are looked at without it."""
        project = self._project
        files = file_version(project.spec, self.file)
        app = self._app_version()
        if project is self._project and files == self._files and app[3] == self._ratings:
            return project, (files, app)
        with self.lock:  # something changed: look again holding the lock, and load again
            files = file_version(self._project.spec, self.file)
            app = self.store.data_version()
            if files != self._files or app[3] != self._ratings:
                self._project = Project.load(self.file, engine=self.engine_name)
                self._files = file_version(self._project.spec, self.file)
                self._ratings = app[3]
            return self._project, (self._files, app)

    def _app_version(self) -> tuple[int, ...]:
        with self.reading() as store:
            return store.data_version()

    @contextmanager
    def reading(self) -> Iterator[AlertStore]:
        """The app database for a short read that must not wait for a computation (the data
        version, a token): the second connection under a lock of its own, or, when the database
        was handed over open, the shared one under the lock."""
        if self._versions is None:
            with self.lock:
                yield self.store
        else:
            with self._versions_lock:
                yield self._versions

    def cached(self, endpoint: str, params: Mapping[str, Any], compute: Callable[[Project], T]) -> T:
        """``compute(project)`` cached under (endpoint, params, data version); a cached answer does
        not wait for the lock while another request computes (module docstring)."""
        project, version = self.current()
        return self.cache.get(endpoint, params, version, lambda: compute(project), lock=self.lock)

    def cached_json(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        compute: Callable[[Project], Any],
        model: Any = None,
    ) -> Any:
        """As :meth:`cached`, but the answer is a JSON response whose bytes are cached: ``compute``'s
        value is validated against ``model`` (the endpoint's ``response_model``) and serialised
        once, as FastAPI would, instead of on every request. FastAPI sends a returned ``Response``
        as it is; it is typed ``Any`` so that an endpoint keeps its return annotation (its
        response model in ``/openapi.json``)."""
        body = self.cached(endpoint, params, lambda project: encode(compute(project), model))
        return Response(body, media_type="application/json")

    def close(self) -> None:
        if self._versions is not None:
            self._versions.close()
        if self._own_store:
            self.store.close()


@lru_cache(maxsize=64)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def encode(value: Any, model: Any = None) -> bytes:
    """``value`` as the JSON FastAPI sends for a ``response_model`` (validated, then serialised the
    way ``JSONResponse`` does); without a model, ``jsonable_encoder``'s JSON."""
    if model is not None:
        adapter = _adapter(model)
        value = adapter.dump_python(adapter.validate_python(value), mode="json")
    return json.dumps(
        jsonable_encoder(value), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
