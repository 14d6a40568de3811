"""WSGI entry point for production servers: `gunicorn 'review.web.wsgi:app'` with REVIEW_DIR set."""

import os

from . import create_app

app = create_app(os.environ.get("REVIEW_DIR"))
