"""The review app with its page cache off: every request renders its page, as the first view of a
page after a change (for anyone: the page cache keeps pages for signed-in readers too).

Served like review.web.wsgi:app (REVIEW_DIR set), to measure the rendering the page cache spares.
"""

import os

from review.web import create_app

app = create_app(os.environ.get("REVIEW_DIR"), {"PAGE_CACHE_SIZE": 0})
