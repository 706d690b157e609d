"""Load check of the admin: the register, activity and dashboard pages under gunicorn.

Not a test: it measures and prints. With ``--n`` activities stored in SQLite
(100,000 by default) it serves ``webadmin:create_app()`` with gunicorn on a
free loopback port, logs in as the first administrator and drives a bounded
load: ``--clients`` concurrent clients (each one keep-alive connection,
sending its next request as soon as the previous answer is read) for
``--duration`` seconds, over a mix of pages (``MIX`` below). It then prints,
per page type and overall, the number of requests, requests per second,
p50/p95/p99 latency over *every* request of that type, the errors (any status
but 200, timeouts, broken connections), and PASS/FAIL against issue #13's
target "p95 over all pages ≤ 50 ms, no errors".

With ``--baseline TREE`` (the code before, e.g. a ``git archive`` at
/work/baseline-9cd4ca3) the same run serves both: the baseline prepares the
instance and serves its database, this code serves a copy of it upgraded by
its own ``stdpolicy init`` (new migrations); both servers run side by side
with the same gunicorn settings, a sample of every page type is fetched from
both and must be the same bytes (CSRF tokens blanked), then the load
alternates between them in ``--rounds`` rounds (the same seeds: the same
pages asked), and every figure is printed before / now with the ratio, with
the CPU time each server used per request.

    /work/venv/bin/python benchmarks/load_admin.py                       # prepare a temporary instance, 60 s, 4 clients
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k   # prepare it there once, reuse it afterwards
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k --baseline /work/baseline-9cd4ca3   # before / now
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k --workers 3 --threads 4 --duration 30
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k --exports   # also time the CSV and XLSX exports
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k-2 --prepare-only   # measure the import only

The default server is ``gunicorn --workers 2`` (sync): one worker per core
gave the lowest p95 on 2 cores with SQLite (benchmarks/README.md compares).

Preparing an instance (``stdpolicy init``, ``generate.py``, ``stdpolicy
import``) also measures the import's wall time and peak RSS (``os.wait4``);
they are kept in ``DIR/prepared.json`` and printed again on reuse.
benchmarks/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reworded import reworded_page  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
GUNICORN = str(BIN / "gunicorn")

PASSWORD = "load-check-admin-password"
#: Issue #13: p95 over all pages at most this (it was 100 ms per page type before).
TARGET_P95_MS = 50.0
ALL = "— all pages"
PER_PAGE = 50  # core.store.register.PER_PAGE

# Page types and their share of the requests: what people do in a register,
# roughly. "register_filter_*" are page 1 of a filtered list, or in one
# request out of five any page of it; "register_deep" is any page after the
# first of the whole register; the combined filter and the searches are page 1.
MIX = {
    "register_first": 16,
    "register_deep": 12,
    "register_filter_kind": 6,
    "register_filter_year": 6,
    "register_filter_county": 6,
    "register_filter_paid": 6,
    "register_filter_combined": 4,  # kind + year + county + paid together
    "register_search_standard": 6,
    "register_search_organisation": 6,
    "activity": 20,
    "dashboard": 12,
}
# Which group each page type counts towards in the PASS/FAIL lines.
GROUPS = {"register": [k for k in MIX if k.startswith("register")], "activity": ["activity"], "dashboard": ["dashboard"]}


# -- the instance ----------------------------------------------------------------------


#: ``stdpolicy ARGS`` run from the sources of the tree in ``PYTHONPATH`` (not the installed console script).
_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"


def environment(instance: Path, tree: Path = ROOT) -> dict[str, str]:
    """The environment of a command or server of ``tree``'s code on ``instance``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update({
        "STDPOLICY_INSTANCE_PATH": str(instance),
        "STDPOLICY_SECRET_KEY": "load-check-secret-key-not-for-production",
        "STDPOLICY_ADMIN_PASSWORD": PASSWORD,
        "STDPOLICY_COOKIE_SECURE": "0",
        "STDPOLICY_ACTOR": "load-check",
        "PYTHONPATH": str(tree),
    })
    return env


def stdpolicy(*args: str) -> list[str]:
    return [sys.executable, "-c", _MAIN, *args]


def check_tree(tree: Path, env: dict[str, str]) -> None:
    """The tree's own ``core`` and ``webadmin`` are the ones imported (not the installed ones)."""
    found = subprocess.run([sys.executable, "-c", "import core, webadmin; print(core.__file__); print(webadmin.__file__)"],
                           cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.split()
    if not all(f.startswith(str(tree) + os.sep) for f in found):
        sys.exit(f"{tree}: imports {found}, not its own code")


def run_measured(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Run ``argv``; its wall time, CPU time and peak RSS (MiB), from ``os.wait4``."""
    start = time.perf_counter()
    with open(cwd / "last-command.log", "w") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}); see {cwd / 'last-command.log'}:\n"
                 + (cwd / "last-command.log").read_text()[-3000:])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def prepare(instance: Path, n: int, seed: int | None, tree: Path = ROOT) -> dict[str, Any]:
    """``stdpolicy init``, ``n`` generated activities, ``stdpolicy import`` (``tree``'s code); reused when already done."""
    marker = instance / "prepared.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("n") == n and info.get("seed") == seed:
            print(f"reusing {instance} ({n:,} activities, prepared {info['prepared_at']})", flush=True)
            return info
        sys.exit(f"{instance} holds {info.get('n'):,} activities (seed {info.get('seed')}), not {n:,}: use another folder")
    if instance.exists() and any(instance.iterdir()):
        sys.exit(f"{instance} is not empty and was not prepared by this script")
    instance.mkdir(parents=True, exist_ok=True)
    env = environment(instance, tree)
    print(f"preparing {instance} with {tree}: stdpolicy init", flush=True)
    run_measured(stdpolicy("init"), env, instance)
    data = instance / "activities.json"
    print(f"generating {n:,} activities", flush=True)
    argv = [sys.executable, str(HERE / "generate.py"), str(n), str(data)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    generated = run_measured(argv, env, instance)
    print(f"  {generated['wall_s']:.1f} s; stdpolicy import", flush=True)
    imported = run_measured(stdpolicy("import", str(data)), env, instance)
    output = (instance / "last-command.log").read_text().strip().splitlines()
    print(f"  {imported['wall_s']:.1f} s, peak RSS {imported['peak_rss_mib']:.0f} MiB: {output[-1] if output else ''}", flush=True)
    info = {
        "n": n, "seed": seed, "tree": str(tree), "prepared_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "import": imported, "import_output": output[-1] if output else "",
        "database_mib": (instance / "stdpolicy.sqlite").stat().st_size / 2**20,
    }
    data.unlink()  # 40 MB nobody needs again
    marker.write_text(json.dumps(info, indent=2))
    return info


def upgraded_copy(instance: Path, tree: Path) -> Path:
    """A copy of ``instance``'s database in ``instance/now``, upgraded by ``tree``'s ``stdpolicy init``.

    The same stored data for both trees: the baseline serves the database it
    prepared, this code a copy with its own migrations applied (new indexes).
    """
    copy = instance / "now"
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir()
    shutil.copy2(instance / "stdpolicy.sqlite", copy / "stdpolicy.sqlite")
    print(f"copied the database to {copy}; stdpolicy init with {tree}", flush=True)
    run_measured(stdpolicy("init"), environment(copy, tree), copy)
    return copy


# -- gunicorn --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, instance: Path, workers: int, threads: int, timeout: int, tree: Path = ROOT) -> None:
        self.port = free_port()
        self.tree = tree
        self.log = open(instance / "gunicorn.log", "w")
        argv = [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--timeout", str(timeout), "--log-level", "warning"]
        if threads > 1:
            argv += ["--threads", str(threads)]  # gthread worker class
        argv.append("webadmin:create_app()")
        self.argv = argv
        # gunicorn puts its working directory first on sys.path: the tree's own code is served.
        self.proc = subprocess.Popen(argv, env=environment(instance, tree), cwd=tree, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                status, _headers, _body = request(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5), "GET", "/login")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit(f"gunicorn did not answer within {seconds} s")

    def stop(self) -> None:
        self.proc.terminate()  # graceful: workers finish their request
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def workers(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return []

    def peak_rss_mib(self) -> float:
        """The largest peak RSS (VmHWM) of the live workers."""
        peaks = [0.0]
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return max(peaks)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and its live workers."""
        total = 0
        for pid in [self.proc.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def request(conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def log_in(port: int) -> str:
    """The ``Cookie`` header of a logged-in session of the first administrator."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, headers, body = request(conn, "GET", "/login")
    cookie = _cookies(headers)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body.decode()) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', body.decode())
    if status != 200 or token is None:
        sys.exit(f"login page: status {status}, CSRF token {'found' if token else 'missing'}")
    form = urlencode({"csrf_token": html.unescape(token.group(1)), "username": "admin", "password": PASSWORD, "next": ""})
    status, headers, body = request(conn, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
    })
    cookie = _cookies(headers) or cookie
    if status != 302:
        sys.exit(f"login failed: status {status}\n{body.decode()[:2000]}")
    status, _headers, _body = request(conn, "GET", "/dashboard", headers={"Cookie": cookie})
    if status != 200:
        sys.exit(f"the session cookie does not open the dashboard (status {status})")
    conn.close()
    return cookie


def _cookies(headers: http.client.HTTPMessage) -> str:
    return "; ".join(h.split(";", 1)[0] for h in headers.get_all("Set-Cookie") or [])


# -- what to ask for -------------------------------------------------------------------


@dataclass
class Catalogue:
    """Values the load picks from, read from the database before the run."""

    max_id: int
    #: Activities of each kind, year, county; activities with a paid outcome.
    kinds: dict[str, int]
    years: dict[int, int]
    counties: dict[str, int]
    paid: int
    standards: list[str]
    organisations: list[str]

    @classmethod
    def read(cls, database: Path) -> "Catalogue":
        rng = random.Random(1)
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            max_id = db.execute("SELECT max(id) FROM activities").fetchone()[0]
            kinds = dict(db.execute("SELECT kind, count(*) FROM activities GROUP BY kind ORDER BY kind"))
            years = {int(y): n for y, n in db.execute(
                "SELECT substr(date, 1, 4), count(*) FROM activities GROUP BY 1 ORDER BY 1")}
            counties = dict(db.execute(
                "SELECT o.region_code, count(*) FROM activities a JOIN organisations o ON o.id = a.organisation_id "
                "GROUP BY 1 ORDER BY 1"))
            paid = db.execute("SELECT count(DISTINCT activity_id) FROM outcomes "
                              "WHERE superseded_at IS NULL AND amount > 0").fetchone()[0]
            standards = [s for (s,) in db.execute(
                "SELECT subject FROM activities WHERE kind = 'standard_drafting' AND subject IS NOT NULL "
                "ORDER BY random() LIMIT 300")]
            names = [s for (s,) in db.execute("SELECT name FROM organisations WHERE name IS NOT NULL ORDER BY random() LIMIT 300")]
        # What people type: a whole standard number, or its number without the
        # year ("GB/T 12345"); a whole organisation name, or its trade name (the
        # two characters after the county or province: dozens of organisations).
        searched = [s if rng.random() < 0.5 else re.split(r"[-—:]\d{4}", s)[0] for s in standards]
        organisations = [name if rng.random() < 0.5 else name[2:4] for name in names]
        return cls(max_id, kinds, years, counties, paid, searched, organisations)

    def path(self, page_type: str, rng: random.Random) -> str:
        def page(matching: int) -> dict[str, int]:
            # Page 1 mostly; one request in five goes to any page of the list.
            pages = max(1, -(-matching // PER_PAGE))
            return {"page": rng.randint(2, pages)} if pages > 1 and rng.random() < 0.2 else {}

        def one(counts: dict[Any, int]) -> tuple[Any, int]:
            return rng.choice(list(counts.items()))

        total = sum(self.kinds.values())
        if page_type == "register_first":
            return "/activities"
        if page_type == "register_deep":
            return f"/activities?page={rng.randint(2, -(-total // PER_PAGE))}"
        if page_type == "register_filter_kind":
            kind, n = one(self.kinds)
            return "/activities?" + urlencode({"kind": kind, **page(n)})
        if page_type == "register_filter_year":
            year, n = one(self.years)
            return "/activities?" + urlencode({"year": year, **page(n)})
        if page_type == "register_filter_county":
            county, n = one(self.counties)
            return "/activities?" + urlencode({"county": county, **page(n)})
        if page_type == "register_filter_paid":
            return "/activities?" + urlencode({"paid_only": "y", **page(self.paid)})
        if page_type == "register_filter_combined":
            return "/activities?" + urlencode({"kind": one(self.kinds)[0], "year": one(self.years)[0],
                                               "county": one(self.counties)[0], "paid_only": "y"})
        if page_type == "register_search_standard":
            return "/activities?" + urlencode({"q": rng.choice(self.standards)})
        if page_type == "register_search_organisation":
            return "/activities?" + urlencode({"q": rng.choice(self.organisations)})
        if page_type == "activity":
            return f"/activities/{rng.randint(1, self.max_id)}"
        if page_type == "dashboard":
            return "/dashboard"
        raise ValueError(page_type)


# -- the load --------------------------------------------------------------------------


@dataclass
class Sample:
    page_type: str
    path: str
    seconds: float
    status: int  # 0: no answer (timeout, broken connection)


@dataclass
class Load:
    port: int
    cookie: str
    catalogue: Catalogue
    clients: int
    duration: float
    timeout: float
    seed: int
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0

    def run(self) -> None:
        types, weights = list(MIX), list(MIX.values())
        start_line = threading.Barrier(self.clients + 1)
        per_client: list[list[Sample]] = [[] for _ in range(self.clients)]

        def client(n: int) -> None:
            rng = random.Random(self.seed * 1000 + n)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            headers = {"Cookie": self.cookie, "Accept-Language": "zh"}
            out = per_client[n]
            start_line.wait()
            while time.monotonic() < deadline:
                page_type = rng.choices(types, weights)[0]
                path = self.catalogue.path(page_type, rng)
                began = time.perf_counter()
                try:
                    status, _headers, _body = request(conn, "GET", path, headers=headers)
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                out.append(Sample(page_type, path, time.perf_counter() - began, status))
            conn.close()

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(self.clients)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.duration
        began = time.perf_counter()
        start_line.wait()
        for t in threads:
            t.join()
        self.elapsed = time.perf_counter() - began
        self.samples = [s for out in per_client for s in out]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (the value p % of the requests did not exceed)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


@dataclass
class Row:
    name: str
    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: int

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.p95 <= TARGET_P95_MS

    @classmethod
    def of(cls, name: str, samples: list[Sample], elapsed: float) -> "Row":
        ms = sorted(s.seconds * 1000 for s in samples)
        return cls(name, len(samples), len(samples) / elapsed, percentile(ms, 50), percentile(ms, 95),
                   percentile(ms, 99), ms[-1] if ms else float("nan"), sum(s.status != 200 for s in samples))


def rows_of(samples: list[Sample], elapsed: float) -> list[Row]:
    """A row per page type, then the register's pages together, then every page."""
    by_type: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_type[s.page_type].append(s)
    rows = [Row.of(t, by_type[t], elapsed) for t in MIX if by_type[t]]
    rows.append(Row.of("— register (all)", [s for t in GROUPS["register"] for s in by_type[t]], elapsed))
    rows.append(Row.of(ALL, samples, elapsed))
    return rows


def report(sides: dict[str, tuple[list[Sample], float]]) -> dict[str, list[Row]]:
    """Print each page type's figures for every side (``before``, ``now``), with the ratio now / before."""
    rows = {side: rows_of(samples, elapsed) for side, (samples, elapsed) in sides.items()}
    now = rows["now"]
    before = {r.name: r for r in rows.get("before", [])}
    print()
    if before:
        print(f"| page type | requests before / now | p50 ms before / now | p95 ms before / now | p95 ratio | "
              f"p99 ms before / now | max ms now | errors before / now | now: p95 ≤ {TARGET_P95_MS:g} ms, no errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in now:
            b = before.get(r.name)
            if b is None:
                continue
            print(f"| {r.name} | {b.requests} / {r.requests} | {b.p50:.1f} / {r.p50:.1f} | {b.p95:.1f} / {r.p95:.1f} | "
                  f"{r.p95 / b.p95:.2f} | {b.p99:.1f} / {r.p99:.1f} | {r.max:.1f} | {b.errors} / {r.errors} | "
                  f"{'PASS' if r.passed else 'FAIL'} |")
    else:
        print(f"| page type | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | p95 ≤ {TARGET_P95_MS:g} ms, no errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in now:
            print(f"| {r.name} | {r.requests} | {r.rps:.1f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | {r.max:.1f} | "
                  f"{r.errors} | {'PASS' if r.passed else 'FAIL'} |")
    for side, (samples, _elapsed) in sides.items():
        errors = [s for s in samples if s.status != 200]
        for s in errors[:10]:
            print(f"error ({side}): {s.status or 'no answer'} {s.path} after {s.seconds * 1000:.0f} ms")
        slowest = sorted(samples, key=lambda s: s.seconds, reverse=True)[:5]
        print(f"slowest ({side}): " + "; ".join(f"{s.seconds * 1000:.0f} ms {s.path}" for s in slowest))
    return rows


# -- same pages ------------------------------------------------------------------------

_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')


def same_pages(servers: dict[str, "Server"], cookies: dict[str, str], catalogue: Catalogue, per_type: int) -> int:
    """Fetch ``per_type`` pages of each type from every server; stop unless all answer the same bytes.

    Only the CSRF tokens (one per session) are blanked before comparing.
    """
    rng = random.Random(20221)
    paths = [catalogue.path(t, rng) for t in MIX for _ in range(per_type)]
    paths += ["/activities?" + urlencode({"q": q}) for q in ("GB/T", "330", "华", "zz-no-such-thing", "1")]
    for path in paths:
        bodies = {}
        for side, server in servers.items():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            status, _headers, body = request(conn, "GET", path, headers={"Cookie": cookies[side], "Accept-Language": "zh"})
            conn.close()
            if status != 200:
                sys.exit(f"{side}: {path} answered {status}")
            bodies[side] = _CSRF.sub(r"\1\2", body.decode())
            if side == "before":  # the one deliberate change since the baseline (benchmarks/reworded.py)
                bodies[side] = reworded_page(bodies[side])
        first, *others = bodies.values()
        for side, body in zip(list(bodies)[1:], others):
            if body != first:
                at = next((i for i, (a, b) in enumerate(zip(first, body)) if a != b), min(len(first), len(body)))
                sys.exit(f"{path}: {side} differs from {next(iter(bodies))} at character {at}:\n"
                         f"  {first[max(0, at - 200):at + 200]!r}\n  {body[max(0, at - 200):at + 200]!r}")
    return len(paths)


# -- exports -------------------------------------------------------------------------


def time_exports(server: Server, cookie: str, repeat: int) -> list[tuple[str, float, int, int]]:
    """(format, seconds, status, bytes) of each whole-register export, ``repeat`` times each."""
    out = []
    print(f"largest worker's peak RSS before the exports {server.peak_rss_mib():.0f} MiB", flush=True)
    for _ in range(repeat):
        for fmt in ("csv", "xlsx"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=3600)
            began = time.perf_counter()
            try:
                status, _headers, body = request(conn, "GET", f"/activities/export.{fmt}", headers={"Cookie": cookie})
            except (OSError, http.client.HTTPException) as exc:
                status, body = 0, str(exc).encode()
            out.append((fmt, time.perf_counter() - began, status, len(body)))
            conn.close()
            print(f"export {fmt}: {out[-1][1]:.1f} s, status {status}, {len(body) / 2**20:.1f} MiB; "
                  f"largest worker's peak RSS so far {server.peak_rss_mib():.0f} MiB", flush=True)
    return out


# -- main ------------------------------------------------------------------------------


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    load1, load5, _ = os.getloadavg()
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average before the run {load1:.2f} / {load5:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="activities to store (default 100,000)")
    parser.add_argument("--seed", type=int, default=None, help="generator seed (default: generate.py's)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load on each tree (default 60)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="with --baseline: the load alternates between the trees in this many rounds each (default 4)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unrecorded load on each server first (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (default 1: the sync worker; above 1: gthread)")
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout, seconds (default 30)")
    parser.add_argument("--request-timeout", type=float, default=10, help="client timeout per request, seconds (default 10)")
    parser.add_argument("--reuse", metavar="DIR", help="instance folder to prepare once and reuse (default: a temporary one)")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="the code to compare with (a git archive, e.g. /work/baseline-9cd4ca3): it prepares the "
                             "instance and serves it; this code serves an upgraded copy; same pages checked, load interleaved")
    parser.add_argument("--check-pages", type=int, default=3, metavar="N",
                        help="with --baseline: pages of each type fetched from both and compared first (default 3)")
    parser.add_argument("--exports", type=int, nargs="?", const=1, default=0, metavar="N",
                        help="also time the whole register's CSV and XLSX exports, N times each (default 1), after the load "
                             "(at 100,000 activities the XLSX export needs --timeout above 30 with sync workers)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--prepare-only", action="store_true",
                        help="prepare the instance (and so measure the import), then stop")
    args = parser.parse_args(argv)

    print(machine(), flush=True)
    temporary = args.reuse is None
    instance = Path(args.reuse or tempfile.mkdtemp(prefix="stdpolicy-load-")).resolve()
    baseline = args.baseline.resolve() if args.baseline else None
    trees = {"before": baseline, "now": ROOT} if baseline else {"now": ROOT}
    for tree in trees.values():
        check_tree(tree, environment(instance, tree))
    verdict: dict[str, bool] = {}
    try:
        info = prepare(instance, args.n, args.seed, baseline or ROOT)
        imp = info["import"]
        print(f"import of {args.n:,} activities: {imp['wall_s']:.1f} s wall, {imp['cpu_s']:.1f} s CPU, "
              f"peak RSS {imp['peak_rss_mib']:.0f} MiB; database {info['database_mib']:.0f} MiB", flush=True)
        if args.prepare_only:
            return 0
        catalogue = Catalogue.read(instance / "stdpolicy.sqlite")
        instances = {"before": instance, "now": upgraded_copy(instance, ROOT)} if baseline else {"now": instance}
        servers: dict[str, Server] = {}
        try:
            for side, tree in trees.items():
                servers[side] = Server(instances[side], args.workers, args.threads, args.timeout, tree)
            for server in servers.values():
                server.wait_ready()
            cookies = {side: log_in(server.port) for side, server in servers.items()}
            print(f"gunicorn: {' '.join(servers['now'].argv[1:])}", flush=True)
            if baseline:
                print(f"same pages: {same_pages(servers, cookies, catalogue, args.check_pages)} pages answered the same "
                      f"bytes by both trees (CSRF tokens blanked)", flush=True)
            for side, server in servers.items():
                if args.warmup > 0:
                    Load(server.port, cookies[side], catalogue, args.clients, args.warmup, args.request_timeout, seed=0).run()
            rounds = max(1, args.rounds) if baseline else 1
            print(f"load: {args.clients} clients, {args.duration:g} s on each tree"
                  + (f", alternating in {rounds} rounds" if rounds > 1 else ""), flush=True)
            samples: dict[str, list[Sample]] = {side: [] for side in servers}
            elapsed = dict.fromkeys(servers, 0.0)
            cpu = {side: {"gunicorn_s": 0.0, "load_generator_s": 0.0, "machine_busy_s": 0.0} for side in servers}
            load_before = os.getloadavg()
            for n in range(rounds):
                order = list(servers) if n % 2 == 0 else list(reversed(servers))
                for side in order:
                    server = servers[side]
                    # The same seed on both sides: the same sequence of pages.
                    load = Load(server.port, cookies[side], catalogue, args.clients, args.duration / rounds,
                                args.request_timeout, seed=n + 1)
                    own_before = resource.getrusage(resource.RUSAGE_SELF)
                    server_before, (busy_before, _all) = server.cpu_seconds(), machine_busy()
                    load.run()
                    server_after, (busy_after, _all) = server.cpu_seconds(), machine_busy()
                    own_after = resource.getrusage(resource.RUSAGE_SELF)
                    samples[side] += load.samples
                    elapsed[side] += load.elapsed
                    cpu[side]["gunicorn_s"] += server_after - server_before
                    cpu[side]["load_generator_s"] += (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
                    cpu[side]["machine_busy_s"] += busy_after - busy_before
            rows = report({side: (samples[side], elapsed[side]) for side in servers})
            for side in servers:
                c = cpu[side]
                c["gunicorn_ms_per_request"] = 1000 * c["gunicorn_s"] / max(1, len(samples[side]))
                c["others_s"] = max(0.0, c["machine_busy_s"] - c["gunicorn_s"] - c["load_generator_s"])
                print(f"CPU ({side}, {trees[side]}) over {elapsed[side]:.1f} s: machine busy "
                      f"{100 * c['machine_busy_s'] / elapsed[side]:.0f} % of one core; gunicorn "
                      f"{100 * c['gunicorn_s'] / elapsed[side]:.0f} % ({c['gunicorn_ms_per_request']:.1f} ms CPU per request), "
                      f"load generator {100 * c['load_generator_s'] / elapsed[side]:.0f} %, "
                      f"other processes {100 * c['others_s'] / elapsed[side]:.0f} %")
            if baseline:
                ratio = cpu["now"]["gunicorn_ms_per_request"] / cpu["before"]["gunicorn_ms_per_request"]
                print(f"CPU per request, now / before: {ratio:.2f}")
            print(f"load average before the load: {' / '.join(f'{x:.2f}' for x in load_before)}; "
                  f"after: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores shared: wall times are noisy)")
            now = {r.name: r for r in rows["now"]}
            verdict = {group: all(r.errors == 0 for r in rows["now"] if r.name in names) for group, names in GROUPS.items()}
            verdict["p95 over all pages"] = now[ALL].passed
            for what, ok in verdict.items():
                print(f"{what}: {'PASS' if ok else 'FAIL'}" + (f" ({now[ALL].p95:.1f} ms)" if what == "p95 over all pages" else ""))
            exports = time_exports(servers["now"], cookies["now"], args.exports) if args.exports else []
            if args.json:
                Path(args.json).write_text(json.dumps({
                    "machine": machine(), "gunicorn": servers["now"].argv[1:], "clients": args.clients,
                    "duration": elapsed, "import": info, "rows": {k: [r.__dict__ for r in v] for k, v in rows.items()},
                    "cpu": cpu, "exports": exports, "verdict": verdict, "trees": {k: str(v) for k, v in trees.items()},
                }, indent=2))
        finally:
            for server in servers.values():
                server.stop()
    finally:
        if temporary:
            shutil.rmtree(instance, ignore_errors=True)
    return 0 if verdict and all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
