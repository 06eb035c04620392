"""``northstar serve``: the web server and its JSON API (the dashboard pages build on it).

Modules:

- ``app.py``: :func:`create_app` — the FastAPI application, its routers and error handlers.
- ``context.py``: :class:`ServerContext` — the loaded project (reloaded when its files change), the
  app database, the result cache and the lock that serialises work on the engine.
- ``read_routes.py``: the GET endpoints over analyses (project, overview, series, funnels, retention,
  explain, heatmap, scorecards, OKRs).
- ``app_routes.py``: the endpoints over the app database (targets, alerts, lead ratings), GET and POST.
- ``dashboard.py``: the overview (value, previous, change, bands, status, sparkline) and the anomaly
  heatmap (metric × day deviation from the detector's expected).
- ``auth.py``: tokens (stored as SHA-256), roles, the loopback rule and the same-origin check for writes.
- ``session_routes.py``: ``/login``, ``POST /api/session`` (the token as an HttpOnly cookie) and its
  logout, ``GET /api/me``.
- ``lead_routes.py``: a lead set's clean leads (search, paging) and sales' ratings by channel.
- ``cache.py``: results cached per (endpoint, parameters, data version); the data version.
- ``errors.py``: the one error shape and the handlers that produce it.
- ``models.py``: pydantic request and response models (they make ``/openapi.json``).
- ``jsonable.py``: frames and results → JSON values (NaN → null, dates → ISO text).

See ``docs/api.md`` for the endpoints, the error shape, authentication and caching.
"""
