"""Load check of the admin: the register, activity and dashboard pages under gunicorn.

Not a test: it measures and prints. With ``--n`` activities stored in SQLite
(100,000 by default) it serves ``webadmin:create_app()`` with gunicorn on a
free loopback port, logs in as the first administrator and drives a bounded
load: ``--clients`` concurrent clients (each one keep-alive connection,
sending its next request as soon as the previous answer is read) for
``--duration`` seconds, over a mix of pages (``MIX`` below). It then prints,
per page type and overall, the number of requests, requests per second,
p50/p95/p99 latency over *every* request of that type, the errors (any status
but 200, timeouts, broken connections), and PASS/FAIL against the target "no
errors and p95 < 100 ms".

    /work/venv/bin/python benchmarks/load_admin.py                       # prepare a temporary instance, 60 s, 4 clients
    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k   # prepare it there once, reuse it afterwards
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
STDPOLICY = str(BIN / "stdpolicy")
GUNICORN = str(BIN / "gunicorn")

PASSWORD = "load-check-admin-password"
TARGET_P95_MS = 100.0
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


def environment(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update({
        "STDPOLICY_INSTANCE_PATH": str(instance),
        "STDPOLICY_SECRET_KEY": "load-check-secret-key-not-for-production",
        "STDPOLICY_ADMIN_PASSWORD": PASSWORD,
        "STDPOLICY_COOKIE_SECURE": "0",
        "STDPOLICY_ACTOR": "load-check",
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


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


def prepare(instance: Path, n: int, seed: int | None) -> dict[str, Any]:
    """``stdpolicy init``, ``n`` generated activities, ``stdpolicy import``; reused when already done."""
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
    env = environment(instance)
    print(f"preparing {instance}: stdpolicy init", flush=True)
    run_measured([STDPOLICY, "init"], env, instance)
    data = instance / "activities.json"
    print(f"generating {n:,} activities", flush=True)
    argv = [sys.executable, str(HERE / "generate.py"), str(n), str(data)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    generated = run_measured(argv, env, instance)
    print(f"  {generated['wall_s']:.1f} s; stdpolicy import", flush=True)
    imported = run_measured([STDPOLICY, "import", str(data)], env, instance)
    output = (instance / "last-command.log").read_text().strip().splitlines()
    print(f"  {imported['wall_s']:.1f} s, peak RSS {imported['peak_rss_mib']:.0f} MiB: {output[-1] if output else ''}", flush=True)
    info = {
        "n": n, "seed": seed, "prepared_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "import": imported, "import_output": output[-1] if output else "",
        "database_mib": (instance / "stdpolicy.sqlite").stat().st_size / 2**20,
    }
    data.unlink()  # 40 MB nobody needs again
    marker.write_text(json.dumps(info, indent=2))
    return info


# -- gunicorn --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, instance: Path, workers: int, threads: int, timeout: int) -> None:
        self.port = free_port()
        self.log = open(instance / "gunicorn.log", "w")
        argv = [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--timeout", str(timeout), "--log-level", "warning"]
        if threads > 1:
            argv += ["--threads", str(threads)]  # gthread worker class
        argv.append("webadmin:create_app()")
        self.argv = argv
        self.proc = subprocess.Popen(argv, env=environment(instance), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

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
        return self.errors == 0 and self.p95 < TARGET_P95_MS

    @classmethod
    def of(cls, name: str, samples: list[Sample], elapsed: float) -> "Row":
        ms = sorted(s.seconds * 1000 for s in samples)
        return cls(name, len(samples), len(samples) / elapsed, percentile(ms, 50), percentile(ms, 95),
                   percentile(ms, 99), ms[-1] if ms else float("nan"), sum(s.status != 200 for s in samples))


def report(load: Load) -> list[Row]:
    by_type: dict[str, list[Sample]] = defaultdict(list)
    for s in load.samples:
        by_type[s.page_type].append(s)
    rows = [Row.of(t, by_type[t], load.elapsed) for t in MIX if by_type[t]]
    rows.append(Row.of("— register (all)", [s for t in GROUPS["register"] for s in by_type[t]], load.elapsed))
    rows.append(Row.of("— all pages", load.samples, load.elapsed))
    print()
    print("| page type | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | p95 < 100 ms, no errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r.name} | {r.requests} | {r.rps:.1f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | {r.max:.1f} | "
              f"{r.errors} | {'PASS' if r.passed else 'FAIL'} |")
    errors = [s for s in load.samples if s.status != 200]
    for s in errors[:10]:
        print(f"error: {s.status or 'no answer'} {s.path} after {s.seconds * 1000:.0f} ms")
    slowest = sorted(load.samples, key=lambda s: s.seconds, reverse=True)[:5]
    print("slowest: " + "; ".join(f"{s.seconds * 1000:.0f} ms {s.path}" for s in slowest))
    return rows


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
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unrecorded load first (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (default 1: the sync worker; above 1: gthread)")
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout, seconds (default 30)")
    parser.add_argument("--request-timeout", type=float, default=10, help="client timeout per request, seconds (default 10)")
    parser.add_argument("--reuse", metavar="DIR", help="instance folder to prepare once and reuse (default: a temporary one)")
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
    try:
        info = prepare(instance, args.n, args.seed)
        imp = info["import"]
        print(f"import of {args.n:,} activities: {imp['wall_s']:.1f} s wall, {imp['cpu_s']:.1f} s CPU, "
              f"peak RSS {imp['peak_rss_mib']:.0f} MiB; database {info['database_mib']:.0f} MiB", flush=True)
        if args.prepare_only:
            return 0
        catalogue = Catalogue.read(instance / "stdpolicy.sqlite")
        server = Server(instance, args.workers, args.threads, args.timeout)
        try:
            server.wait_ready()
            cookie = log_in(server.port)
            print(f"gunicorn: {' '.join(server.argv[1:])}", flush=True)
            if args.warmup > 0:
                Load(server.port, cookie, catalogue, args.clients, args.warmup, args.request_timeout, seed=0).run()
            print(f"load: {args.clients} clients for {args.duration:g} s", flush=True)
            load = Load(server.port, cookie, catalogue, args.clients, args.duration, args.request_timeout, seed=1)
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            server_before, (busy_before, all_before) = server.cpu_seconds(), machine_busy()
            load.run()
            server_after, (busy_after, all_after) = server.cpu_seconds(), machine_busy()
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            rows = report(load)
            client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
            server_cpu = server_after - server_before
            cores = (all_after - all_before) / load.elapsed
            busy = busy_after - busy_before
            others = max(0.0, busy - server_cpu - client_cpu)
            cpu = {"cores": cores, "machine_busy_s": busy, "gunicorn_s": server_cpu, "load_generator_s": client_cpu,
                   "others_s": others, "gunicorn_ms_per_request": 1000 * server_cpu / max(1, len(load.samples))}
            print(f"CPU over {load.elapsed:.1f} s on {cores:.0f} cores: machine busy {100 * busy / load.elapsed:.0f} % of one core; "
                  f"gunicorn {100 * server_cpu / load.elapsed:.0f} % ({cpu['gunicorn_ms_per_request']:.1f} ms CPU per request), "
                  f"load generator {100 * client_cpu / load.elapsed:.0f} %, other processes {100 * others / load.elapsed:.0f} %")
            print(f"load average after the run: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
            verdict = {group: all(r.passed for r in rows if r.name in names) for group, names in GROUPS.items()}
            for group, ok in verdict.items():
                print(f"{group}: {'PASS' if ok else 'FAIL'}")
            exports = time_exports(server, cookie, args.exports) if args.exports else []
            if args.json:
                Path(args.json).write_text(json.dumps({
                    "machine": machine(), "gunicorn": server.argv[1:], "clients": args.clients,
                    "duration": load.elapsed, "import": info, "rows": [r.__dict__ for r in rows], "cpu": cpu,
                    "exports": exports, "verdict": verdict,
                }, indent=2))
        finally:
            server.stop()
    finally:
        if temporary:
            shutil.rmtree(instance, ignore_errors=True)
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
