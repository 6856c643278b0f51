"""PostgreSQL restarted under load: requests fail cleanly, then recover.

    python bench/faults.py [--threads 8] [--seconds 30]

Not for CI: it restarts this machine's PostgreSQL server. Builds a fresh database
`kam_bench_faults` with the small demo, starts gunicorn (4 workers, persistent
connections with health checks), and lets N threads, each signed in as a KAM, request
the home page, the account list and an account's 360 over and over. After a third of
the time it restarts PostgreSQL (`pg_ctlcluster … restart`). Every response is
recorded: a request during the restart must end with the error page (500/503, no
traceback, no hang beyond the timeout), and after it every request must be served
again. Writes bench/results/faults.json.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from fresh import ROOT, use_fresh_database

DB = "kam_bench_faults"
PORT = 8901
BASE = f"http://127.0.0.1:{PORT}"
VENV_BIN = Path(sys.executable).parent
PASSWORD = "kam-demo"  # noqa: S105 (the demo users' password)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def serve() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings.dev",
           "DJANGO_DEBUG": "false", "DJANGO_CONN_MAX_AGE": "60"}  # fmt: skip
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "kam.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "4",
         "--timeout", "30", "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import requests

    for _ in range(100):
        try:
            requests.get(f"{BASE}/auth/login/", timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def session(username: str):
    import requests

    s = requests.Session()
    page = s.get(f"{BASE}/auth/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = s.post(f"{BASE}/auth/login/", timeout=10,
               data={"username": username, "password": PASSWORD,
                     "csrfmiddlewaretoken": token},
               headers={"Referer": f"{BASE}/auth/login/"})  # fmt: skip
    assert r.ok and "/auth/login/" not in r.url, f"{username} could not sign in"
    return s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    import requests

    use_fresh_database(DB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings.dev"
    print("building the small demo …", flush=True)
    manage("migrate", "-v0")
    manage("seed_demo", "--password", PASSWORD)
    import django

    django.setup()
    from accounts.models import Account

    account = Account.objects.filter(owner__username="kam").values_list(
        "pk", flat=True
    )[0]
    paths = ["/", "/accounts/?q=a", f"/accounts/{account}/"]
    server = serve()
    log, lock = [], threading.Lock()
    stop = threading.Event()
    t0 = time.perf_counter()

    def worker(n: int):
        s = session("kam")
        i = n
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                r = s.get(BASE + path, timeout=15, allow_redirects=False)
                status, clean = r.status_code, "Traceback" not in r.text
            except requests.RequestException as exc:
                status, clean = f"error: {exc.__class__.__name__}", False
            with lock:
                log.append((started - t0, time.perf_counter() - started, status, clean))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    time.sleep(args.seconds / 3)
    version = Path("/etc/postgresql").iterdir().__next__().name
    print("restarting PostgreSQL …", flush=True)
    restart_at = time.perf_counter() - t0
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                    "restart"], check=True)  # fmt: skip
    back_at = time.perf_counter() - t0
    time.sleep(args.seconds * 2 / 3)
    stop.set()
    for t in threads:
        t.join()
    server.terminate()
    server.wait(timeout=30)

    failed = [row for row in log if row[2] != 200]
    after = [row for row in log if row[0] > back_at + 2]
    recovered = next(
        (row[0] for row in log if row[0] > back_at and row[2] == 200), None
    )
    result = {
        "threads": args.threads,
        "seconds": args.seconds,
        "requests": len(log),
        "restart_started_s": round(restart_at, 2),
        "restart_took_s": round(back_at - restart_at, 2),
        "statuses": dict(Counter(str(row[2]) for row in log)),
        "failed": len(failed),
        "failed_between_s": [
            round(min((r[0] for r in failed), default=0), 2),
            round(max((r[0] for r in failed), default=0), 2),
        ],
        # clean: the error page (500/503) without a traceback, not a dropped connection
        "failures_clean": all(row[3] and row[2] in (500, 503) for row in failed),
        "failures_503": sum(row[2] == 503 for row in failed),
        "slowest_failure_s": round(max((r[1] for r in failed), default=0), 2),
        "first_success_after_restart_s": round(recovered - back_at, 2)
        if recovered is not None
        else None,
        "after_restart_all_served": all(row[2] == 200 for row in after),
        "after_restart_requests": len(after),
    }
    out = ROOT / "bench" / "results" / "faults.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
