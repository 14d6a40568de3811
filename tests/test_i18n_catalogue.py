"""The catalogue resolved once per request (review/web/i18n.py RequestDomain) follows the request's locale."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, get_domain, gettext, refresh

from review.web.i18n import RequestDomain


def test_the_request_domain_is_installed(app):
    with app.test_request_context("/"):
        assert isinstance(get_domain(), RequestDomain)


def test_each_request_gets_its_own_language(app):
    for query, word in (("", "ouvert"), ("?lang=en", "open"), ("?lang=fr", "ouvert"), ("?lang=en", "open")):
        with app.test_request_context(f"/{query}"):
            assert gettext("open") == word
            assert gettext("member") == ("membre" if word == "ouvert" else "member")  # the kept catalogue
            assert render_template_string("{{ _('open') }}") == word


def test_force_locale_and_refresh_see_the_right_catalogue(app):
    with app.test_request_context("/?lang=en"):
        assert gettext("open") == "open"
        with force_locale("fr"):
            assert gettext("open") == "ouvert"
            assert render_template_string("{{ _('open') }}") == "ouvert"
        assert gettext("open") == "open"
        assert render_template_string("{{ _('open') }}") == "open"
        with force_locale("fr"):
            assert gettext("member") == "membre"
        refresh()
        assert gettext("member") == "member"


def test_pages_switch_language(client):
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english
    client.get("/lang/fr")
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)


def test_the_french_catalogue_defines_each_message_once():
    """Helpers append translations at the end of messages.po; a msgid written twice is an error
    for gettext's msgfmt (and Babel silently keeps one of the two)."""
    from pathlib import Path
    from babel.messages.pofile import read_po
    path = Path(__file__).resolve().parent.parent / "review/web/translations/fr/LC_MESSAGES/messages.po"
    text = path.read_text(encoding="utf-8")
    seen, dups = set(), []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        key, cur = [], None
        for ln in lines:
            if ln.startswith(("msgctxt ", "msgid ", "msgid_plural ")):
                cur = ln.split(" ", 1)[0]
                key.append(cur + ":" + ln.split(" ", 1)[1])
            elif ln.startswith("msgstr"):
                cur = None
            elif ln.startswith('"') and cur:
                key[-1] += ln
        if key:
            k = "|".join(key)
            if k in seen:
                dups.append(k)
            seen.add(k)
    assert dups == []
    with path.open("rb") as f:
        assert len(read_po(f)) > 500
