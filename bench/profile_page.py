"""Where one page's time goes: median time, SQL time and a profile, in-process.

    python bench/profile_page.py /accounts/123/ [--user kam0101] [--runs 20] [--top 25]

Runs against `kam_large` (see `pages.py`) with Django's test client, as the given
user, with the settings `pages.py` serves gunicorn with (DEBUG off). Prints the
median and fastest wall time of the runs, the time spent in SQL, the slowest
statements of the last run (`--slowest`), and a profile of further runs sorted by
`--sort` (tottime, cumtime, …); `--callers NAME` shows who calls the functions
matching NAME. `--cold` empties the cache before each run: the page as first seen.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time

from fresh import recording, use_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--user", default="kam0101")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--slowest", type=int, default=5, help="statements to show")
    parser.add_argument("--callers", help="also show who calls functions matching this")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty the cache before each run (a page seen first)",
    )
    args = parser.parse_args()

    use_database("kam_large")
    # as gunicorn serves it in `pages.py`: the app's settings with DEBUG off
    os.environ.update(DJANGO_SETTINGS_MODULE="kam.settings.dev", DJANGO_DEBUG="false")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from core.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=args.user))
    assert client.get(args.path).status_code == 200  # warm: templates, caches
    walls, sql = [], []
    for _ in range(args.runs):
        queries: list = []
        if args.cold:
            cache.clear()
        started = time.perf_counter()
        with connection.execute_wrapper(recording(queries)):
            client.get(args.path)
        walls.append((time.perf_counter() - started) * 1000)
        sql.append(sum(q.seconds for q in queries) * 1000)
    print(
        f"{args.path} as {args.user}: median {statistics.median(walls):.1f} ms "
        f"(fastest {min(walls):.1f}), "
        f"SQL {statistics.median(sql):.1f} ms in {len(queries)} queries"
    )
    for query in sorted(queries, key=lambda q: -q.seconds)[: args.slowest]:
        print(f"  {query.seconds * 1000:6.1f} ms  {query.sql[:300]}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.runs):
        if args.cold:
            profile.disable()
            cache.clear()
            profile.enable()
        client.get(args.path)
    profile.disable()
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)


if __name__ == "__main__":
    main()
