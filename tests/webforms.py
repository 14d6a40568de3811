"""Read a page's form the way a browser would submit it (for in-process web tests)."""

from __future__ import annotations

import html
import re

from werkzeug.datastructures import MultiDict


def form_fields(page: str, form_id: str | None = None) -> MultiDict:
    """Every successful control of a form as it stands: inputs, checked boxes, selected
    options and textareas (buttons excluded)."""
    if form_id:
        m = re.search(rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
        page = m.group(1)
    out = MultiDict()
    for tag in re.finditer(r"<input\b([^>]*)>", page):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))
        if "name" not in attrs or attrs.get("type") in ("submit", "button"):
            continue
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in tag.group(1):
            continue
        out.add(attrs["name"], html.unescape(attrs.get("value", "")))
    for tag in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        out.add(tag.group(1), html.unescape(tag.group(2)))
    for tag in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        options = re.findall(r'<option value="([^"]*)"( selected)?', tag.group(2))
        chosen = [v for v, sel in options if sel] or [options[0][0]] if options else []
        for v in chosen[:1]:
            out.add(tag.group(1), html.unescape(v))
    return out
