"""Core errors carry a code and parameters (review/errors.py); the catalogue
(review/errormessages.py) gives each code its English template, the msgid of its French
translation. Pages show the reader's language (review/web/messages.py), the JSON API English
and the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from review.errormessages import CATALOGUE
from review.errors import Invalid, Message, coded
from review.web.messages import VALUES, localise

from .test_people import _csrf, sign_in

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "review"
PO = CORE / "web/translations/fr/LC_MESSAGES/messages.po"
CID = "engagement-02"

# The callables that take a code (or, for the git layer and verify, English text) first.
_CODED = {"Invalid", "Forbidden", "Missing", "Conflict", "Damaged", "Busy", "DiskFull", "ReviewError",
          "AccountError", "NotFound", "Message"}
_CODE_RE = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
_UNCODED_FILES = {"gitrepo.py", "verify.py"}  # their errors keep English text; review.errors.coded names the code


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", template))


def _name(func) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):  # core.NotFound, store.AccountError
        return func.attr
    if isinstance(func, ast.Call) and ast.unparse(func) == "type(exc)":  # an error re-raised with a wrapping code
        return "ReviewError"
    return None


def _calls():
    """(where, name, first argument, keyword names, has **kwargs) of every call of a coded error
    or Message in review/."""
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in _CODED and node.args:
                keys = {k.arg for k in node.keywords if k.arg is not None}
                keys.discard("retry_after")  # Busy's own parameter
                yield (f"{path.relative_to(ROOT)}:{node.lineno}", path.name, node.args[0], keys,
                       any(k.arg is None for k in node.keywords))


def test_every_code_raised_is_in_the_catalogue_with_the_parameters_its_template_needs():
    seen = 0
    for where, _file, arg, keys, spread in _calls():
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            continue
        code = arg.value
        if not _CODE_RE.match(code):
            continue
        seen += 1
        assert code in CATALOGUE, f"{where}: {code} is not in review/errormessages.py"
        needed = _placeholders(CATALOGUE[code])
        if spread:  # **what: review.hooks._short's commit and summary
            assert keys <= needed and needed - keys <= {"commit", "summary"}, f"{where}: {code} takes {needed}"
        else:
            assert keys == needed, f"{where}: {code} takes {sorted(needed)}, given {sorted(keys)}"
    assert seen > 150  # the walk found the core's raises


def test_the_core_raises_codes_not_sentences():
    """An error raised with English text would reach the pages untranslated."""
    texts = [where for where, file, arg, _k, _s in _calls()
             if file not in _UNCODED_FILES and (isinstance(arg, ast.JoinedStr) or (
                 isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not _CODE_RE.match(arg.value)))]
    assert not texts, f"give these errors a code of review/errormessages.py: {texts}"


def test_every_code_of_the_catalogue_is_used():
    source = "\n".join(p.read_text(encoding="utf-8") for p in CORE.rglob("*.py") if p.name != "errormessages.py")
    unused = [code for code in CATALOGUE if f'"{code}"' not in source]
    assert not unused, f"codes nobody raises: {unused}"


def test_every_template_has_a_french_translation_with_the_same_placeholders():
    with open(PO, "rb") as f:
        catalog = read_po(f)
    for code, template in CATALOGUE.items():
        message = catalog.get(template)
        assert message is not None and message.string and not message.fuzzy, \
            f"{code}: add msgid {template!r} with its French to {PO.relative_to(ROOT)}"
        assert _placeholders(message.string) == _placeholders(template), code


def test_english_text_is_the_template_filled():
    err = Invalid("comment.too_long", length=10001, limit=10000)
    assert str(err) == err.message == "the comment is 10001 characters long; the limit is 10000"
    assert err.code == "comment.too_long" and err.status == 400
    nested = Invalid("push.amendment_refused", number=3, reason=Message("permission.closed", state="merged"))
    assert str(nested) == "amendment 3: the amendment is merged: it can no longer change"
    assert Invalid("not a code, a sentence").code is None  # the git layer's English text stays as it is


def test_the_git_layers_english_errors_are_read_back_into_their_code():
    from review.gitrepo import DamagedObject, NoSpace, RefLocked
    assert coded(DamagedObject("a" * 40, "truncated")) == Message("repository.damaged", oid="a" * 40, problem="truncated")
    assert coded(RefLocked("refs/heads/main", 5)) == Message("ref.locked", ref="refs/heads/main", n="5")
    assert coded(NoSpace()) == Message("disk.full")
    assert coded("a text from elsewhere") is None


def test_french_reader_gets_french_and_english_reader_english(app):
    for code, template in CATALOGUE.items():
        params = {name: "12" for name in _placeholders(template)}
        message = Message(code, **params)
        with app.test_request_context("/?lang=fr"):
            fr = localise(message)
            assert fr != str(message) and "%(" not in fr, code
        with app.test_request_context("/?lang=en"):
            assert localise(message) == str(message) == template % params


def test_values_are_kept_and_english_words_among_them_translated(app):
    with app.test_request_context("/?lang=fr"):
        assert localise(Invalid("comment.too_long", length=10001, limit=10000)) == \
            "le commentaire fait 10001 caractères ; la limite est de 10000"
        assert localise(Invalid("comment.quote_not_found", anchor="p-2")) == \
            "les mots cités ne sont pas dans le paragraphe p-2 de cette révision : citez-les exactement"
        assert localise(Message("permission.approvals_closed", state="withdrawn")) == \
            "l'amendement est retiré : les approbations sont closes"
        assert localise(Message("permission.role", role="coordinator")) == "action réservée à un·e coordinateur·rice"
        assert "signataire d'une administration porteuse × 1" in localise(Message(
            "merge.policy_unmet", missing="1 more lead-signatories; 1 more civil-society"))
        assert localise(Invalid("push.amendment_refused", number=3,
                                reason=Message("permission.closed", state="merged"))) == \
            "amendement 3 : l'amendement est intégré : il ne peut plus changer"
        # SchemaError details stay as the core wrote them; only the sentence around them is translated
        assert localise(Invalid("amendment.bad_format", problems="plan.yaml:3: title: missing")) == \
            "le texte ne respecte pas le format du plan : plan.yaml:3: title: missing"
        assert localise("a message nobody knows") == "a message nobody knows"
        from review.gitrepo import DamagedObject
        assert localise(DamagedObject("a" * 40, "truncated")).startswith("le dépôt est endommagé") and "tronqué" in \
            localise(DamagedObject("a" * 40, "truncated"))
    assert set(VALUES) == {"state", "role", "requirements", "missing", "kind", "problem", "reason"}


# -- on the pages ----------------------------------------------------------------------------

def test_page_form_error_is_in_french_and_the_api_keeps_english(client, repo, dep):
    from review import accounts
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    before = repo.refs()
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Mon texte",
                                                          "anchor": "p-2", "quote": "mots absents"},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "les mots cités ne sont pas dans le paragraphe p-2 de cette révision : citez-les exactement" in page
    assert "quote them exactly" not in page
    token = accounts.Accounts(dep).create_token("karim", "test")[1]
    api = client.post(f"/api/v1/commitments/{CID}/comments", json={"body": "x", "anchor": "p-2", "quote": "mots absents"},
                      headers={"Authorization": f"Bearer {token}", "Cookie": "lang=fr"})
    assert api.status_code == 400
    assert api.get_json() == {"error": "the quoted words are not in paragraph p-2 of this revision: quote them exactly",
                              "code": "comment.quote_not_found"}
    assert repo.refs() == before


def test_error_page_is_in_the_readers_language_and_the_api_in_english(client):
    page = client.get("/audit?since=hier")
    assert page.status_code == 400
    assert "le paramètre since doit être une date écrite AAAA-MM-JJ, par exemple 2016-07-16, et non" \
        in page.get_data(as_text=True)
    assert "must be a date written" in client.get("/audit?since=hier&lang=en").get_data(as_text=True)
    api = client.get("/api/v1/audit?since=hier&lang=fr")
    assert api.status_code == 400
    assert api.get_json() == {"error": "since must be a date written YYYY-MM-DD, for example 2016-07-16, not 'hier'",
                              "code": "audit.bad_date"}


def test_404_pages_are_in_french(client):
    html = client.get("/commitments/engagement-99").get_data(as_text=True)
    assert "pas d'engagement" in html.lower() or "aucun engagement" in html.lower(), html[-800:]


def test_requirements_of_several_commitments_are_translated_each(app):
    with app.test_request_context("/?lang=fr"):
        out = localise(Message("merge.policy_unmet", missing="1 more lead-signatories for engagement-01; "
                                                         "1 more civil-society for engagement-04"))
        assert "signataire d'une administration porteuse × 1 (engagement-01)" in out and "more" not in out
        out = localise(Message("signoff.not_entitled", requirements="1 lead-signatories, 1 civil-society for "
                                                             "engagement-01; 1 coordinators, 1 civil-society for plan"))
        assert "lead-signatories" not in out and "(plan)" in out and "; " in out
