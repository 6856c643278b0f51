"""Pages under concurrent load: gunicorn, PostgreSQL, the large demo dataset, locust.

    python bench/pages.py [--users 24] [--seconds 60] [--workers 4] [--name pages]

Uses the database `kam_large`, built by `seed_demo --scale large` when it is missing
(about 6 minutes). Counts each page's SQL queries in-process, then starts gunicorn
and runs locust headless with a mixed workload (`bench/locustfile.py`): KAMs on their
home, the filtered account list, the account 360, an offer's detail and saving an
offer line; managers on the upsell report; customer services on the admin worklist.

`--ceiling` measures instead what the stack costs before any page's own work: the
same users ask for one cheap path over and over, one run per path (the health
check, which reads no session; the signed-in JSON of `/api/v1/me/`; the
notifications page, the smallest page in the layout). Writes results/ceiling.*.

`--ratios` measures each KAM page against the floor view (`/floor/`: signed in, the
same middleware, a tiny response), one locust run per page and level, all in one
run: at 1 client (p50 and mean, as a multiple of the floor's), at 4 clients (p95) and
at saturation (16 clients: requests/s as a share of the floor's). Writes
results/ratios.* with a chart.

Writes bench/results/pages.json and bench/results/pages.md (with a chart of p95 per
page against its target). Targets on this 2-core machine: p95 ≤ 100 ms for pages,
≤ 500 ms for reports, ≥ 150 requests/s in all, 0 errors.
"""

import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from html import escape
from pathlib import Path

from fresh import ROOT, database_url, recording, redis_url, use_database

DB = "kam_large"
PORT = 8900
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
# page name (as locust reports it) -> p95 target in ms
TARGETS = {
    "KAM home": 100,
    "account list (filtered)": 100,
    "account 360": 100,
    "offer detail": 100,
    "save offer line": 100,
    "upsell report (team)": 500,
    "admin worklist": 100,
}
MIN_RPS = 150
# --ceiling: the cheapest requests, from no session to a signed-in page in the layout
CEILING_PATHS = {
    "/floor/": "floor: signed in, tiny response (/floor/)",
    "/healthz": "health check (1 query, no session)",
    "/api/v1/me/": "signed-in JSON (/api/v1/me/)",
    "/notifications/": "smallest signed-in page (/notifications/)",
}


def _database_ready() -> bool:
    import psycopg2

    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute(f"CREATE DATABASE {DB}")
    admin.close()
    if not exists:
        return False
    probe = psycopg2.connect(database_url(DB))
    with probe.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('accounts_account') IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM accounts_account WHERE external_ref = 'LRG-000000')"
        )
        ready = cursor.fetchone()[0]
    probe.close()
    return bool(ready)


def _manage(*args: str) -> None:
    # the app's settings, so the demo passwords are hashed as gunicorn checks them
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings.dev"}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env
    )


def fixture(password: str) -> dict:
    """The users of each kind, and for each KAM a few own accounts and offers and
    a draft offer's line to save."""
    from accounts.models import Account
    from core.models import User
    from offers.models import Offer, OfferLine

    kams = []
    for user in User.objects.filter(username__regex=r"^kam\d{4}$").order_by("pk"):
        accounts = list(
            Account.objects.filter(owner=user)
            .order_by("pk")
            .values_list("pk", flat=True)[:20]
        )
        offers = list(
            Offer.objects.filter(account__owner=user)
            .order_by("pk")
            .values_list("pk", flat=True)[:20]
        )
        line = (
            OfferLine.objects.filter(option__offer__account__owner=user,
                                     option__offer__status=Offer.Status.DRAFT)
            .order_by("pk").values_list("option__offer_id", "pk").first()
        )  # fmt: skip
        if accounts and offers and line:
            kams.append({"username": user.username, "accounts": accounts,
                         "offers": offers, "draft": list(line)})  # fmt: skip
    names = lambda pattern: [  # noqa: E731
        {"username": u}
        for u in User.objects.filter(username__regex=pattern).values_list(
            "username", flat=True
        )
    ]
    return {"password": password, "kams": kams, "managers": names(r"^mgr\d{2}$"),
            "cs": names(r"^cs\d{2}$")}  # fmt: skip


def query_counts(data: dict) -> dict:
    """SQL queries per page, counted in-process with the same users and objects."""
    from django.db import connection
    from django.test import Client

    from core.models import User

    kam, manager, cs = data["kams"][0], data["managers"][0], data["cs"][0]
    pages = {
        "KAM home": (kam, "/"),
        "account list (filtered)": (
            kam,
            "/accounts/?tier=A&is_key_account=true&q=Hamburg",
        ),
        "account 360": (kam, f"/accounts/{kam['accounts'][0]}/"),
        "offer detail": (kam, f"/offers/{kam['offers'][0]}/"),
        "upsell report (team)": (manager, "/insights/upsell/"),
        "admin worklist": (cs, "/admin/contracts/contract/?worklist=new"),
    }
    counts = {}
    for name, (who, path) in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=who["username"]))
        client.get(path)  # warm
        queries = []
        with connection.execute_wrapper(recording(queries)):
            status = client.get(path).status_code
        assert status == 200, (name, path, status)
        counts[name] = len(queries)
    return counts


def start_server(
    command: list[str], cwd: Path, env: dict, port: int
) -> subprocess.Popen:
    """Start a web server and wait until it takes connections on `port`."""
    server = subprocess.Popen(command, cwd=cwd, env=env)
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{command[0]} did not start")


def _serve(workers: int) -> subprocess.Popen:
    # as in production: one cache in Redis for all workers (the 360's sections,
    # the home's cards), unless $CACHE_URL names another
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings.dev", "DJANGO_DEBUG": "false",
           "DJANGO_CONN_MAX_AGE": "60",
           "CACHE_URL": os.environ.get("CACHE_URL") or redis_url(13)}  # fmt: skip
    return start_server(
        [str(VENV_BIN / "gunicorn"), "-c", "python:kam.gunicorn", "kam.wsgi",
         "-b", f"127.0.0.1:{PORT}",
         "-w", str(workers), "--access-logfile", "/dev/null", "--log-level", "warning"],
        ROOT, env, PORT,
    )  # fmt: skip


def run_locust(server: subprocess.Popen, port: int, locustfile: str, prefix: Path,
               seconds: int, users: int, classes: tuple, env: dict) -> None:  # fmt: skip
    """Drive `server` on `port` with locust headless (`bench/<locustfile>`, its user
    `classes`) and stop it; stats go to prefix_stats.csv."""
    try:
        subprocess.run(
            [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / locustfile),
             "--headless", "-u", str(users), "-r", str(users),
             "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", *classes],
            check=False,
            env={**os.environ, "KAM_BENCH_TIMES": f"{prefix}_times.json", **env},
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    for extra in ("stats_history", "exceptions", "failures"):  # kept: *_stats.csv
        Path(f"{prefix}_{extra}.csv").unlink(missing_ok=True)


def _locust(args, fixture_path: Path, prefix: Path, *classes: str, users=None,
            **env: str) -> None:  # fmt: skip
    """Serve with gunicorn and drive it with locust headless; stats go to prefix_*.csv."""
    run_locust(_serve(args.workers), PORT, "locustfile.py", prefix, args.seconds,
               users or args.users, classes,
               {"KAM_BENCH_FIXTURE": str(fixture_path), **env})  # fmt: skip


def _ceiling(args, fixture_path: Path) -> None:
    """Requests per second of the cheapest paths, one locust run each."""
    rows = []
    try:
        for path, label in CEILING_PATHS.items():
            prefix = RESULTS / "ceiling"
            _locust(args, fixture_path, prefix, "Ceiling", KAM_BENCH_PATH=path)
            with open(f"{prefix}_stats.csv", newline="") as handle:
                total = next(
                    r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"
                )
            rows.append({"path": path, "label": label,
                         "requests": int(total["Request Count"]),
                         "failures": int(total["Failure Count"]),
                         "rps": round(float(total["Requests/s"]), 1),
                         "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"])})  # fmt: skip
            Path(f"{prefix}_stats.csv").unlink()
    finally:
        fixture_path.unlink(missing_ok=True)
    result = {"users": args.users, "seconds": args.seconds, "workers": args.workers,
              "paths": rows, "min_rps": MIN_RPS}  # fmt: skip
    lines = [
        f"# The stack's ceiling ({args.users} users, {args.seconds} s per path, "
        f"gunicorn {args.workers} workers)", "", "![requests/s](ceiling.svg)", "",
        "| request | requests | errors | requests/s | p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    lines += [f"| {r['label']} | {r['requests']} | {r['failures']} | {r['rps']} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} |" for r in rows]  # fmt: skip
    lines += ["", f"The mixed workload's target is {MIN_RPS} requests/s."]
    write_results("ceiling", result, _rps_svg(rows), lines)


# --ratios: each page against the floor view, at these numbers of clients
RATIO_PAGES = ("floor", "KAM home", "account list (filtered)", "account 360",
               "account 360 section", "offer detail", "all accounts",
               "all offers", "KAM mix")  # fmt: skip
# the lists of everything (customer services: 50,000 accounts, 100,000 offers) may
# take up to 300 ms at p95 with 4 clients, every other page 100 ms
P95_TARGET = {"all accounts": 300, "all offers": 300}
RATIO_LEVELS = {"1 client": 1, "4 clients": 4, "saturation": 16}
RATIO_TARGET = 6  # p50 at 1 client at most 6 × the floor's


def write_results(name: str, result: dict, svg: str, lines: list[str]) -> None:
    """results/<name>.json, .svg and .md (the table people read), and print it."""
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.svg").write_text(svg + "\n")
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _page_stats(prefix: Path, name: str) -> dict:
    """The page's own row of a locust run (not the sign-in requests); its p50 and
    mean from each request's own time where the locustfile kept them
    (bench/exact_times.py: locust rounds times under 100 ms to whole ms)."""
    with open(f"{prefix}_stats.csv", newline="") as handle:
        total = next(r for r in csv.DictReader(handle) if r["Name"] == name)
    Path(f"{prefix}_stats.csv").unlink()
    stats = {"requests": int(total["Request Count"]),
             "failures": int(total["Failure Count"]),
             "rps": round(float(total["Requests/s"]), 1),
             "mean_ms": round(float(total["Average Response Time"]), 1),
             "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"])}  # fmt: skip
    times_file = Path(f"{prefix}_times.json")
    if times_file.exists():
        times = json.loads(times_file.read_text()).get(name)
        times_file.unlink()
        if times:
            stats["p50_locust_ms"] = stats["p50_ms"]
            stats["p50_ms"] = round(statistics.median(times), 2)
            stats["mean_ms"] = round(statistics.fmean(times), 2)
    return stats


def _ratios(args, fixture_path: Path) -> None:
    """Each page and the floor view, one locust run each, at 1 and 4 clients and at
    saturation, in one run: the ratios people compare (results/ratios.*)."""
    runs: dict = {}
    try:
        for level, users in RATIO_LEVELS.items():
            for page in RATIO_PAGES:
                prefix = RESULTS / "ratio"
                _locust(args, fixture_path, prefix, "OnePage", users=users,
                        KAM_BENCH_PAGE=page)  # fmt: skip
                runs[(level, page)] = _page_stats(prefix, page)
                print(f"{level:>10}  {page:<24} {runs[(level, page)]}", flush=True)
    finally:
        fixture_path.unlink(missing_ok=True)
    floor1, floor_sat = runs[("1 client", "floor")], runs[("saturation", "floor")]
    # the most requests/s seen at any number of clients: with 3 workers on 2 cores
    # 4 clients already keep the server busy, and 16 add the load generator's own
    # switching (each page and the floor alike)
    floor_peak = max(runs[(level, "floor")]["rps"] for level in RATIO_LEVELS)
    rows = []
    for page in RATIO_PAGES[1:]:
        one, four, sat = (runs[(level, page)] for level in RATIO_LEVELS)
        rows.append({
            "page": page,
            "p50_1_ms": one["p50_ms"], "mean_1_ms": one["mean_ms"],
            "p50_ratio": round(one["p50_ms"] / floor1["p50_ms"], 1),
            "mean_ratio": round(one["mean_ms"] / floor1["mean_ms"], 1),
            "p95_4_ms": four["p95_ms"],
            "p95_target_ms": P95_TARGET.get(page, 100),
            "rps_saturation": sat["rps"],
            "rps_share": round(sat["rps"] / floor_sat["rps"], 3),
            "rps_peak": max(runs[(level, page)]["rps"] for level in RATIO_LEVELS),
            "peak_share": round(
                max(runs[(level, page)]["rps"] for level in RATIO_LEVELS) / floor_peak,
                3),
            "failures": one["failures"] + four["failures"] + sat["failures"],
        })  # fmt: skip
    result = {"seconds": args.seconds, "workers": args.workers,
              "levels": RATIO_LEVELS, "floor": {level: runs[(level, "floor")]
                                                for level in RATIO_LEVELS},
              "pages": rows}  # fmt: skip
    chart = times_chart(
        [(r["page"], r["p50_ratio"]) for r in rows], RATIO_TARGET, at_most=True,
        left=190, caption="p50 at 1 client against the floor view's",
    )  # fmt: skip
    lines = [
        f"# Pages against the floor ({args.seconds} s per run, gunicorn "
        f"{args.workers} workers, one run each, in turns)", "",
        "![time against the floor](ratios.svg)", "",
        f"Floor (`/floor/`): p50 {floor1['p50_ms']:.1f} ms, mean {floor1['mean_ms']} "
        f"ms at 1 client; {floor_sat['rps']} requests/s at saturation (16 clients), "
        f"{floor_peak} at its peak.", "",
        "| page | 1 client: p50 ms (× floor) | mean ms (× floor) | 4 clients: p95 ms "
        "(target) | 16 clients: requests/s (share of floor) | peak requests/s "
        "(share of floor's peak) | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    lines += [f"| {r['page']} | {r['p50_1_ms']:.1f} ({r['p50_ratio']} ×) | "
              f"{r['mean_1_ms']} ({r['mean_ratio']} ×) | "
              f"{r['p95_4_ms']:.0f} (≤ {r['p95_target_ms']}) | {r['rps_saturation']} "
              f"({r['rps_share']:.0%}) | {r['rps_peak']} ({r['peak_share']:.0%}) | "
              f"{r['failures']} |" for r in rows]  # fmt: skip
    write_results("ratios", result, chart, lines)


def times_chart(values: list[tuple[str, float]], target: float, *, at_most: bool,
                left: int, caption: str) -> str:  # fmt: skip
    """Bars of "n ×" figures against one target (a dashed line): green where the
    target is met (at most it, or at least it)."""
    met = (lambda v: v <= target) if at_most else (lambda v: v >= target)
    return _bar_chart(
        [(label, value, f"{value} ×", "#2e7d6b" if met(value) else "#c0392b", None)
         for label, value in values],
        left=left, scale_max=max(max(v for _l, v in values), target) * 1.1,
        caption=f"{caption}; the dashed line is the target ({target} ×)", line=target,
    )  # fmt: skip


def _bar_chart(bars, *, left: int, scale_max: float, caption: str, line=None) -> str:
    """Horizontal bars as SVG: (label, value, text, colour, tick) each, where tick is
    the bar's own target (or None); `line` draws one dashed target across all bars.
    A bar's text sits past its target's mark when the bar ends near it."""
    width, bar_h = 720, 22
    height = len(bars) * (bar_h + 8) + 30
    x = lambda value: left + (width - left - 80) * value / scale_max  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="12">']  # fmt: skip
    for i, (label, value, text, colour, tick) in enumerate(bars):
        y = 10 + i * (bar_h + 8)
        mark = tick if tick is not None else line
        parts += [
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{left}" y="{y}" width="{x(value) - left:.1f}" height="{bar_h}" '
            f'fill="{colour}"/>',
            f'<text x="{max(x(value), x(mark or 0)) + 4:.1f}" y="{y + 15}">{text}</text>',
        ]  # fmt: skip
        if tick is not None:
            parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{y - 2}" '
                         f'y2="{y + bar_h + 2}" stroke="#222" stroke-width="2"/>')  # fmt: skip
    if line is not None:
        parts.append(f'<line x1="{x(line):.1f}" x2="{x(line):.1f}" y1="4" '
                     f'y2="{height - 22}" stroke="#222" stroke-width="2" '
                     'stroke-dasharray="4 3"/>')  # fmt: skip
    parts.append(f'<text x="10" y="{height - 6}">{escape(caption)}</text></svg>')
    return "\n".join(parts)


def _rps_svg(rows: list[dict]) -> str:
    """Requests per second per path, with the mixed workload's target as a line."""
    return _bar_chart(
        [(r["label"], r["rps"], f"{r['rps']:.0f}/s", "#2e6b7d", None) for r in rows],
        left=300,
        scale_max=max(max(r["rps"] for r in rows), MIN_RPS) * 1.1,
        caption="requests per second; the dashed line is the mixed workload's "
        f"target ({MIN_RPS}/s)",
        line=MIN_RPS,
    )


def _svg(rows: list[dict]) -> str:
    """p95 per page, each with its target as a tick (green: met, red: not met)."""
    bars = []
    for r in rows:
        colour = "#2e7d6b" if r["p95_ms"] <= r["target_ms"] else "#c0392b"
        bars.append((r["page"], r["p95_ms"], f"{r['p95_ms']:.0f} ms", colour,
                     r["target_ms"]))  # fmt: skip
    return _bar_chart(
        bars,
        left=190,
        scale_max=max(max(r["p95_ms"] for r in rows), max(TARGETS.values())),
        caption="p95 in ms; the black tick is the target",
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--name", default="pages",
                        help="results file names: pages_light for a 4-user run")  # fmt: skip
    parser.add_argument("--ceiling", action="store_true",
                        help="measure the cheapest requests instead (results/ceiling.*)")  # fmt: skip
    parser.add_argument("--ratios", action="store_true",
                        help="each page against the floor view (results/ratios.*)")  # fmt: skip
    args = parser.parse_args()
    use_database(DB)
    password = "kam-demo"  # noqa: S105 (the demo users' password)
    if not _database_ready():
        print("building the large dataset (seed_demo --scale large) …", flush=True)
        _manage("migrate", "-v0")
        _manage("seed_demo", "--scale", "large", "--password", password)
    import django

    django.setup()
    data = fixture(password)
    RESULTS.mkdir(parents=True, exist_ok=True)
    fixture_path = RESULTS / "pages-fixture.json"
    fixture_path.write_text(json.dumps(data))
    if args.ceiling:
        return _ceiling(args, fixture_path)
    if args.ratios:
        return _ratios(args, fixture_path)
    counts = query_counts(data)
    prefix = RESULTS / args.name
    try:
        _locust(args, fixture_path, prefix, "Kam", "Manager", "CustomerServices")
    finally:
        fixture_path.unlink(missing_ok=True)
    rows, total = [], None
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            entry = {
                "page": row["Name"], "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]), "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]), "rps": round(float(row["Requests/s"]), 1),
            }  # fmt: skip
            if row["Name"] == "Aggregated":
                total = entry
            elif row["Name"] in TARGETS:
                entry["target_ms"] = TARGETS[row["Name"]]
                entry["queries"] = counts.get(row["Name"])
                rows.append(entry)
    rows.sort(key=lambda r: list(TARGETS).index(r["page"]))
    result = {"users": args.users, "seconds": args.seconds, "workers": args.workers,
              "pages": rows, "total": total, "min_rps": MIN_RPS}  # fmt: skip
    lines = [
        f"# Pages under load ({args.users} users, {args.seconds} s, gunicorn "
        f"{args.workers} workers)", "", f"![p95 per page]({args.name}.svg)", "",
        "| page | requests | errors | p50 ms | p95 ms | target p95 | queries |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for r in rows:
        met = "met" if r["p95_ms"] <= r["target_ms"] else "**not met**"
        lines.append(f"| {r['page']} | {r['requests']} | {r['failures']} | {r['p50_ms']:.0f} "
                     f"| {r['p95_ms']:.0f} | ≤ {r['target_ms']} ({met}) | "
                     f"{r['queries'] if r['queries'] is not None else '—'} |")  # fmt: skip
    lines += ["", f"All requests: {total['requests']}, errors {total['failures']}, "
              f"{total['rps']} requests/s (target ≥ {MIN_RPS})."]  # fmt: skip
    write_results(args.name, result, _svg(rows), lines)


if __name__ == "__main__":
    main()
