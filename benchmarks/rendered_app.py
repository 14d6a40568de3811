"""The review app with its page cache off: every request renders its page, as for a signed-in reader.

Served like review.web.wsgi:app (REVIEW_DIR set), to measure the rendering the page cache spares
anonymous readers.
"""

import os

from review.web import create_app

app = create_app(os.environ.get("REVIEW_DIR"), {"PAGE_CACHE_SIZE": 0})
