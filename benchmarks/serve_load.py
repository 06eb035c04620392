"""`northstar serve` under load: 20 concurrent clients on the demo project, every GET the pages use.

    python benchmarks/serve_load.py                        # 20 clients x 5 rounds, cold then warm
    python benchmarks/serve_load.py --clients 20 --rounds 10 --settle 20
    python benchmarks/serve_load.py --paint                # also the overview's paint time in Chromium

The demo project (``scaffold.demo.generate_demo``, seed 7, 120 days, 100k users) is generated once
into ``benchmarks/.data/serve_demo`` (git ignores it) and ``northstar watch`` stores its alerts.
Each run starts ``northstar serve`` on loopback in a child process with a fresh app database copy
(so nothing is cached between runs) and waits until ``/api/project`` answers. Then:

- **cold**: one client asks every URL once, one after the other, ``--settle`` seconds after the
  server answered (0 by default: what the first visitor sees). A URL's first answer is computed,
  unless the server already had it in its cache (it warms the pages' default queries at start).
- **warm**: ``--clients`` clients (threads, each with its own ``httpx.Client``, keep-alive) each ask
  every URL ``--rounds`` times, each round in its own shuffled order (seeded), all at once.

The URLs are those the dashboard's pages request (read from ``/api/project`` and
``/openapi.json``, so endpoints added later are included when they exist): the project, the
overview per grain, series of the north star, the supporting KPIs and revenue per grain, by a
dimension, with comparisons, the heatmap, each funnel and retention (and broken down), explain,
each scorecard, the OKRs, targets, alerts and the lead sets' ratings. Every answer must be 200.
Latency is the wall time from sending the request to the last byte of the body. The goal (issue 8):
every call at p95 ≤ 300 ms warm; the overview painted within 1.5 s.

**Paint** (``--paint``): Chromium (``/usr/bin/chromium``, Playwright) opens ``/`` in a fresh
context, and the time from navigation start to every ``[data-chart]`` being ``ready`` (the same
condition as the browser tests' ``wait_drawn``) is read with ``performance.now()``. "cold" is the
first page load on a freshly started server, right after it answers (its warm-up has only just
begun), on each of ``--cold-paints`` servers; "warm" the ``--paint-runs`` later loads on the last
one, each in a fresh browser context (no HTTP cache). The medians are judged against the goal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
DEMO = DATA / "serve_demo"
CHROMIUM = Path("/usr/bin/chromium")
GOAL_MS = 300.0
PAINT_GOAL_S = 1.5


def ensure_demo(folder: Path = DEMO) -> Path:
    """The demo project with its alerts, generated once."""
    if not (folder / "northstar.yml").exists():
        from northstar.scaffold.demo import generate_demo

        print(f"generating the demo project into {folder} …", flush=True)
        generate_demo(folder, overwrite=True)
        subprocess.run(
            [sys.executable, "-m", "northstar.cli.main", "watch", "-p", str(folder)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``northstar serve`` in a child process, over a copy of the project's app database."""

    def __init__(self, project: Path, port: int | None = None) -> None:
        import httpx

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db = project / ".northstar" / "alerts.db"
        self.store = DATA / f"serve_load_{self.port}.db"
        if db.exists():
            shutil.copy(db, self.store)
        self.log = DATA / f"serve_load_{self.port}.log"
        self._out = self.log.open("wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "northstar.cli.main", "serve", str(project), "--port", str(self.port),
             "--store", str(self.store)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"northstar serve exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/api/project", timeout=5).status_code == 200:
                    self.start_s = time.perf_counter() - started
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("northstar serve did not answer in 180 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()
        for path in (self.store, Path(f"{self.store}-wal"), Path(f"{self.store}-shm"), self.log):
            path.unlink(missing_ok=True)


def urls(base: str, overview: dict[str, Any]) -> list[tuple[str, str]]:
    """(endpoint, path with query) for every GET the pages make on this project; ``overview`` is
    ``/api/overview?grain=week``'s answer (the overview page's trend call uses its dates)."""
    import httpx

    project = httpx.get(f"{base}/api/project", timeout=60).json()
    openapi = httpx.get(f"{base}/openapi.json", timeout=60).json()["paths"]
    paths = set(openapi)
    star = project["north_star"]
    kpis = [m for m in [star, *project["supporting"]] if m]
    names = {m["name"] for m in project["metrics"]}
    dims = [d["name"] for d in project["dimensions"]]
    by = "channel" if "channel" in dims else dims[0]
    out: list[tuple[str, str]] = [("project", "/api/project")]
    for grain in ("day", "week", "month", "quarter"):
        out.append(("overview", f"/api/overview?grain={grain}"))
    # the overview page's own trend call, then the KPI page's defaults and its controls
    out.append(("series", f"/api/metrics/{kpis[0]}/series?grain=week"))
    out.append(
        ("series", f"/api/metrics/{kpis[0]}/series?grain=week&from={overview['start']}&to={overview['end']}")
    )
    for m in [*kpis, *(["revenue"] if "revenue" in names else [])]:
        out.append(("series", f"/api/metrics/{m}/series?grain=day"))
        out.append(("series", f"/api/metrics/{m}/series?grain=week&compare=prev"))
    # broken down: the north star's source (orders in the demo) has every dimension but campaign
    out.append(("series", f"/api/metrics/{kpis[0]}/series?grain=month&by={by}"))
    out.append(("series", f"/api/metrics/{kpis[0]}/series?grain=week&by=country"))
    if "revenue" in names:
        out.append(("series", f"/api/metrics/revenue/series?grain=day&by={by}"))
    out.append(("series", f"/api/metrics/{kpis[0]}/series?grain=day&where=device%20%3D%20'mobile'"))
    out.append(("heatmap", "/api/heatmap"))
    out.append(("heatmap", "/api/heatmap?" + urlencode({"metrics": ",".join(kpis)})))  # the page's default
    if "/api/heatmap" in paths:
        params = openapi["/api/heatmap"]["get"].get("parameters", [])
        if any(p["name"] == "by" for p in params):
            out.append(("heatmap", f"/api/heatmap?metric={kpis[0]}&by={by}"))
    for f in project["funnels"]:
        out.append(("funnel", f"/api/funnels/{f['name']}"))
        out.append(("funnel", f"/api/funnels/{f['name']}?by=device"))
        if "/api/funnels/{name}/over-time" in paths:
            out.append(("funnel", f"/api/funnels/{f['name']}/over-time?grain=week"))
    for r in project["retention"]:
        out.append(("retention", f"/api/retention/{r['name']}"))
        out.append(("retention", f"/api/retention/{r['name']}?by={by}"))
    out.append(("explain", f"/api/explain/{star}"))
    if "revenue" in names:
        out.append(("explain", "/api/explain/revenue?by=country,channel,device"))
    for s in project["scorecards"]:
        out.append(("scorecard", f"/api/scorecards/{s['name']}"))
    out.append(("okrs", "/api/okrs"))
    out.append(("targets", "/api/targets"))
    out.append(("alerts", "/api/alerts"))
    out.append(("alerts", f"/api/alerts?metric={kpis[0]}"))
    for ls in project["lead_sets"]:
        out.append(("ratings", f"/api/leads/{ls['name']}/ratings"))
        if "/api/leads/{lead_set}" in paths:
            out.append(("leads", f"/api/leads/{ls['name']}?limit=50&offset=0"))
    return out


def timed_get(client: Any, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return elapsed


def cold(base: str) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """The URLs, and each one's first answer's time: the overview first, as a visitor's browser."""
    import httpx

    first = "/api/overview?grain=week"
    with httpx.Client(base_url=base, timeout=300) as client:
        times = {first: timed_get(client, first)}
        found = urls(base, client.get(first).json())
        for _, p in found:
            if p not in times:
                times[p] = timed_get(client, p)
    return found, times


def warm(base: str, paths: list[str], clients: int, rounds: int) -> tuple[dict[str, list[float]], float]:
    """Every client asks every path ``rounds`` times, in shuffled orders; all clients start together."""
    import httpx

    times: dict[str, list[float]] = {p: [] for p in paths}
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def client_run(i: int) -> None:
        rng = random.Random(i)
        mine: list[tuple[str, float]] = []
        try:
            with httpx.Client(base_url=base, timeout=300) as client:
                client.get("/api/project")  # open the connection before the gate
                gate.wait()
                for _ in range(rounds):
                    order = list(paths)
                    rng.shuffle(order)
                    mine += [(p, timed_get(client, p)) for p in order]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        with lock:
            for p, ms in mine:
                times[p].append(ms)

    threads = [threading.Thread(target=client_run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return times, wall


def quantile(values: list[float], q: float) -> float:
    """The nearest-rank quantile (p95 of 100 values is the 95th smallest)."""
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))]


def paint(project: Path, cold_runs: int, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from navigation start to every chart drawn on ``/``: the first load on each of
    ``cold_runs`` freshly started servers (right after it answers), then ``runs`` more loads on the
    last one."""
    from playwright.sync_api import sync_playwright

    script = (
        "() => { const m = document.getElementById('page');"
        " return m && m.dataset.state === 'ready' && document.querySelectorAll('[data-chart]').length > 0"
        " && [...document.querySelectorAll('[data-chart]')].every(c => c.dataset.chart === 'ready'); }"
    )

    def load(browser: Any, base: str) -> float:
        context = browser.new_context(locale="en-US", viewport={"width": 1360, "height": 900})
        try:
            page = context.new_page()
            page.goto(base + "/", wait_until="commit")
            page.wait_for_function(script, timeout=60_000, polling="raf")
            return float(page.evaluate("() => performance.now()")) / 1000
        finally:
            context.close()

    cold: list[float] = []
    warm: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            first = browser.new_context()  # the browser's own first start is not the page's
            first.new_page().goto("data:text/html,")
            first.close()
            for i in range(cold_runs):
                server = Server(project)
                try:
                    cold.append(load(browser, server.url))
                    if i == cold_runs - 1:
                        warm = [load(browser, server.url) for _ in range(runs)]
                finally:
                    server.stop()
        finally:
            browser.close()
    return cold, warm


def machine() -> str:
    """The benchmarks' machine line (core_kpis.machine) and the load average, which moves these
    latencies most on a shared machine."""
    sys.path.insert(0, str(HERE))
    from core_kpis import machine as described

    return f"{described()}; load average {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--settle", type=float, default=0.0, help="seconds to wait before the cold pass")
    ap.add_argument("--paint", action="store_true", help="also time the overview's paint in Chromium")
    ap.add_argument("--paint-runs", type=int, default=5, help="warm page loads")
    ap.add_argument("--cold-paints", type=int, default=3, help="first page loads, each on a fresh server")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args(argv)

    DATA.mkdir(exist_ok=True)
    project = ensure_demo()
    print(machine(), flush=True)
    report: dict[str, Any] = {"clients": args.clients, "rounds": args.rounds}
    server = Server(project)
    try:
        print(f"server answered after {server.start_s:.1f} s", flush=True)
        if args.settle:
            time.sleep(args.settle)
        found, firsts = cold(server.url)
        paths = [p for _, p in found]
        endpoint = {p: e for e, p in found}
        times, wall = warm(server.url, paths, args.clients, args.rounds)
    finally:
        server.stop()
    if args.paint:  # on servers of their own: each first load is a first visitor's
        cold_paints, warm_paints = paint(project, args.cold_paints, args.paint_runs)
        report["paint_cold_s"], report["paint_warm_s"] = (
            quantile(cold_paints, 0.5),
            quantile(warm_paints, 0.5),
        )
        report["paint_cold_all_s"], report["paint_warm_all_s"] = cold_paints, warm_paints

    everything = [ms for v in times.values() for ms in v]
    width = max(len(p) for p in paths)
    print(f"\n{len(paths)} URLs; warm: {args.clients} clients x {args.rounds} rounds = {len(everything)} "
          f"requests in {wall:.1f} s ({len(everything) / wall:.0f} req/s)\n")  # fmt: skip
    print(f"{'URL':<{width}}  {'cold ms':>8}  {'p50':>7}  {'p95':>7}  {'max':>7}")
    rows = []
    for p in paths:
        v = times[p]
        row = {"endpoint": endpoint[p], "url": p, "cold_ms": firsts[p], "p50_ms": quantile(v, 0.5),
               "p95_ms": quantile(v, 0.95), "max_ms": max(v)}  # fmt: skip
        rows.append(row)
        flag = "" if row["p95_ms"] <= GOAL_MS else "  > goal"
        print(
            f"{p:<{width}}  {firsts[p]:8.0f}  {row['p50_ms']:7.0f}  {row['p95_ms']:7.0f}  {row['max_ms']:7.0f}{flag}"
        )
    p95 = quantile(everything, 0.95)
    worst = max(rows, key=lambda r: r["p95_ms"])
    report.update(
        urls=rows, overall_p50_ms=quantile(everything, 0.5), overall_p95_ms=p95, overall_max_ms=max(everything),
        worst_url=worst["url"], worst_p95_ms=worst["p95_ms"], cold_max_ms=max(firsts.values()),
        cold_total_s=sum(firsts.values()) / 1000, requests_per_s=len(everything) / wall, machine=machine(),
    )  # fmt: skip
    print(f"\nwarm: overall p50 {report['overall_p50_ms']:.0f} ms, p95 {p95:.0f} ms, max {max(everything):.0f} ms; "
          f"worst URL p95 {worst['p95_ms']:.0f} ms ({worst['url']})")  # fmt: skip
    print(
        f"cold: slowest first call {report['cold_max_ms']:.0f} ms, all {len(paths)} in {report['cold_total_s']:.1f} s"
    )
    ok = worst["p95_ms"] <= GOAL_MS
    print(f"goal: every URL's warm p95 <= {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    if args.paint:
        paint_ok = report["paint_cold_s"] <= PAINT_GOAL_S and report["paint_warm_s"] <= PAINT_GOAL_S
        shown = {k: " ".join(f"{x:.2f}" for x in report[f"paint_{k}_all_s"]) for k in ("cold", "warm")}
        print(f"paint of /: cold (first load on {args.cold_paints} fresh servers) median {report['paint_cold_s']:.2f} s "
              f"[{shown['cold']}], warm median {report['paint_warm_s']:.2f} s [{shown['warm']}]; "
              f"goal (medians) <= {PAINT_GOAL_S} s: {'met' if paint_ok else 'NOT met'}")  # fmt: skip
        ok = ok and paint_ok
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
