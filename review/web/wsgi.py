"""WSGI entry point for production servers: `gunicorn 'review.web.wsgi:app'` with REVIEW_DIR set.

The plan is read once here, before the worker serves (REVIEW_WARM_UP=0 skips it): a fresh
worker's first request then costs what any other does (issue 20)."""

import gc
import os

from .. import lru
from . import create_app
from .reading import warm_up

lru.map_large_blocks()  # before anything is read: a big page freed is given back (review/lru.py)
app = create_app(os.environ.get("REVIEW_DIR"))
if os.environ.get("REVIEW_WARM_UP", "1") != "0":
    warm_up(app)
    # What the warm-up read stays for the life of the process: out of the collector's reach, a
    # worker forked from it (gunicorn --preload) shares those pages with the master instead of
    # copying each one the collector walks (what the worker alone holds, USS: benchmarks/README.md)
    gc.freeze()
