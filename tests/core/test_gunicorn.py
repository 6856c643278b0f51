"""gunicorn's settings (kam/gunicorn.py): what a worker does once it has loaded."""

import gc

from kam import gunicorn


def test_a_loaded_worker_keeps_what_it_loaded_out_of_the_collectors_scans():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        gunicorn.post_worker_init(worker=None)
        # the app's modules, templates and settings are frozen: not scanned again
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
