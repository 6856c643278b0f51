"""gunicorn's settings for KAM: `gunicorn -c python:kam.gunicorn kam.wsgi`.

Command-line options (bind, workers, logs) still apply on top of these.
"""

import gc


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django and the app, keep what is loaded out of the
    garbage collector's scans (`gc.freeze`). Those objects live as long as the
    worker; without this, each full collection walks all of them again: about
    75 ms every few hundred requests, paid by whichever request triggered it."""
    gc.collect()
    gc.freeze()
