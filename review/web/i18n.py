"""Language of the interface and of the plan: French by default, English on request."""

from __future__ import annotations

from flask import g, redirect, request
from flask_babel import Babel, Domain, get_locale, lazy_gettext as _l

from ..model import AUTHORITATIVE, LANGUAGES

COOKIE = "lang"
ROLE_NAMES = {"member": _l("member"), "signatory": _l("signatory"), "coordinator": _l("coordinator"),
              "moderator": _l("moderator"), "auditor": _l("auditor")}
STATE_NAMES = {"open": _l("open"), "withdrawn": _l("withdrawn"), "rejected": _l("rejected"), "merged": _l("merged")}
REQUIREMENT_NAMES = {"lead-signatories": _l("signatory of a lead administration"),
                     "civil-society": _l("signatory of a civil-society organisation"),
                     "coordinators": _l("coordinator")}
VERDICT_NAMES = {"approve": _l("approves"), "object": _l("objects"), "withdraw": _l("withdraws")}
STANCE_NAMES = {"for": _l("for"), "against": _l("against"), "neutral": _l("neutral")}
ORG_KINDS = {"administration": _l("administration"), "civil-society": _l("civil society"),
             "independent": _l("independent")}


FILTER_LANG = ("search", "api_search")  # there `lang` filters the texts searched, not the reader's language


def select_locale() -> str:
    asked = None if request.endpoint in FILTER_LANG else request.args.get("lang")
    lang = asked or request.cookies.get(COOKIE)
    return lang if lang in LANGUAGES else AUTHORITATIVE


def current_lang() -> str:
    return str(get_locale() or AUTHORITATIVE)


def switch_language(lang: str):
    """Remember the reader's language in a cookie and go back to the page they were on."""
    from .security import cookie_secure, safe_next
    resp = redirect(safe_next(request.args.get("next")))
    if lang in LANGUAGES:
        resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True, secure=cookie_secure())
    return resp


class RequestDomain(Domain):
    """Flask-Babel's domain, with the catalogue resolved once per request and locale.

    Flask-Babel 4 looks the catalogue up again on every gettext call (the request's domain, its
    locale, `str(locale)`, a dictionary lookup): a page with comments makes hundreds of calls. Here
    the catalogue found is kept beside the locale it was found for, in Flask-Babel's own per-request
    namespace (`g._flask_babel`); it is used again only while that locale object is the request's,
    so `force_locale` (which installs another locale object, then puts the original back) and
    `refresh` (which removes it) see the right catalogue.
    """

    def get_translations(self):
        try:
            ctx = g._flask_babel
        except (AttributeError, RuntimeError):  # first call of the request, or no request at all
            return super().get_translations()
        hit = ctx.__dict__.get("review_catalogue")
        if hit is not None and hit[0] is ctx.__dict__.get("babel_locale"):
            return hit[1]
        translations = super().get_translations()  # sets ctx.babel_locale
        ctx.review_catalogue = (ctx.babel_locale, translations)
        return translations


def install_babel(app) -> Babel:
    """Flask-Babel with the per-request catalogue of RequestDomain, for Python code and templates."""
    babel = Babel(app, locale_selector=select_locale)
    domain = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    babel.domain_instance = domain  # the default domain of every request (flask_babel.get_domain)

    catalogue = domain.get_translations
    # Templates call the domain directly instead of going through flask_babel.get_domain() each time.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    return babel


def init_app(app) -> None:
    @app.context_processor
    def _lang():
        lang = current_lang()
        return {"state_names": STATE_NAMES, "requirement_names": REQUIREMENT_NAMES, "verdict_names": VERDICT_NAMES,
                "stance_names": STANCE_NAMES, "role_names": ROLE_NAMES, "org_kinds": ORG_KINDS, "lang": lang, "other_langs": [x for x in LANGUAGES if x != lang],
                "lang_names": {"fr": "Français", "en": "English"}}
