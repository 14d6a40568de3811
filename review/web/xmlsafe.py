"""XML that stays well-formed whatever the text: characters XML 1.0 forbids are replaced.

XML 1.0 allows only TAB, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF. A comment
holding U+0001 or U+FFFE (or a lone surrogate) would otherwise make a whole feed unreadable to
every subscriber. Each forbidden character becomes U+FFFD (the replacement character).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text) if text else text


def tostring(root: ET.Element) -> bytes:
    """The tree as UTF-8 XML with a declaration, every text, tail and attribute cleaned."""
    for el in root.iter():
        if el.text:
            el.text = clean(el.text)
        if el.tail:
            el.tail = clean(el.tail)
        for k, v in list(el.attrib.items()):
            el.attrib[k] = clean(v)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
