"""Each request's own time, for the ratios against a floor of 2–3 ms.

locust keeps response times under 100 ms in whole milliseconds, so the floor
view's p50 (about 2.5 ms) is 2 or 3 and every ratio to it moves by half with that
rounding. A locustfile that imports this module writes, when locust quits, the
time of every successful request in milliseconds as measured, by name, to the JSON
file named by $KAM_BENCH_TIMES (`pages.run_locust` sets it).
"""

import json
import os
from collections import defaultdict

from locust import events

_times: dict[str, list[float]] = defaultdict(list)


@events.request.add_listener
def _record(name, response_time, exception=None, **_kwargs):
    if exception is None:
        _times[name].append(round(response_time, 3))


@events.quitting.add_listener
def _write(**_kwargs):
    if os.environ.get("KAM_BENCH_TIMES"):
        with open(os.environ["KAM_BENCH_TIMES"], "w") as handle:
            json.dump(_times, handle)
