"""The browser's side of security: no Content-Security-Policy violation on any page, signed
out or signed in, and session cookies that stop working once the session has ended."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import demo
from review.deployment import Deployment
from review.web.urls import ROUTES

from .actions import demo_password, header, sign_in, sign_out

# One URL (or more) for every page of the site; a new GET route must be added here or to
# NOT_PAGES, so that "every page" stays every page.
PAGES = {
    "index": ["/", "/?rev=adopted-2015-07-16"],
    "whole_plan": ["/plan"],
    "commitment": ["/commitments/engagement-02", "/commitments/engagement-04?rev=adopted-2015-07-16"],
    "commitment_history": ["/commitments/engagement-04/history"],
    "commitment_diff": ["/commitments/engagement-04/diff?from=adopted-2015-07-16&to=main"],
    "compare": ["/compare", "/compare?from=adopted-2015-07-16&to=main", "/compare?from=@2016-01-01&to=main&view=source"],
    "commitment_blame": ["/commitments/engagement-04/blame"],
    "sign_in": ["/signin"],
    "people_list": ["/people"],
    "profile": ["/people/karim", "/people/paul"],
    "amendments": ["/amendments", "/amendments?state=merged"],
    "pending_approvals": ["/amendments/pending"],
    "amendment": ["/amendments/1", "/amendments/2", "/amendments/2?view=side", "/amendments/2?against=main"],
    "amendment_edit": ["/amendments/2/edit"],
    "amend": ["/commitments/engagement-15/amend"],
    # the demo has no pages (404 here): tests/browser/test_import.py reads them on an imported plan
    "plan_page": ["/pages/preface"],
    "amend_page": ["/pages/preface/amend"],
    "progress_dashboard": ["/progress", "/progress?as_of=2016-01-01", "/progress?as_of=2016-01-01&known=2016-01-01"],
    "axis_page": ["/axes/rendre-des-comptes"],
    "theme_page": ["/axes/rendre-des-comptes/themes/evaluation-publique"],
    "for_you": ["/for-you"],
    "plan_history": ["/history"],
    "verify_history": ["/verify-history"],
    "audit_log": ["/audit"],
    "integrity_page": ["/integrity"],
    "versions_page": ["/versions"],
    "search": ["/search", "/search?q=donn%C3%A9es+%22commande+publique%22", "/search?q=%22%3Cscript%3E"],
    "git_about": ["/plan.git"],
    "consultations": ["/consultations"],
    "consultation": ["/consultations/demo-2016"],
    "consultation_amend": ["/consultations/demo-2016/amend?commitment=engagement-02"],
    "consultation_report": ["/consultations/demo-2016/report"],
    "participant_page": ["/participants/alice"],
    "consultation_register": ["/consultations/demo-2016/register"],
    "confirm_registration": ["/participants/confirm/forged"],
    "notifications_page": ["/notifications"],
    "self_assessment": ["/self-assessment", "/self-assessment?from=2015-07-16&to=2016-07-15"],
    # a link from an e-mail: a forged token gets the page that says so
    "confirm_email": ["/email/confirm/karim.forged"],
    "unsubscribe": ["/unsubscribe/karim.reply.forged"],
}
ERROR_PAGES = ["/commitments/engagement-99", "/amendments/999"]
# GET routes that answer something other than a page (JSON, CSV, Atom, git, a redirect).
NOT_PAGES = {"set_language", "git_http", "amendment_feed", "commitment_feed", "progress_csv", "progress_json",
             "progress_feed", "audit_csv", "audit_json", "plan_asset",
             "version_download", "consultations_feed", "consultation_report_csv", "consultation_report_json",
             "follow_notification", "self_assessment_csv", "self_assessment_json"}

REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
});
"""


def test_every_page_of_the_url_table_is_visited():
    gets = {endpoint for rule, endpoint, view, methods in ROUTES
            if "GET" in methods and not rule.startswith("/api/")}
    missing = gets - set(PAGES) - NOT_PAGES
    assert not missing, f"add these pages to PAGES (or NOT_PAGES) in {__file__}: {sorted(missing)}"


@pytest.fixture
def seeded(live_server):
    dep = Deployment.open(live_server.dir)
    demo.seed(dep)  # a merged and an open amendment, comments, a report
    _a_consultation(dep)
    return live_server


def _a_consultation(dep) -> None:
    """An open consultation (announced 15 days ago) with a participant's contribution."""
    import datetime as dt

    from review import commitment as core
    from review import consultations as cons
    from review import participants
    repo = dep.open_repo()
    today = dt.datetime.now(dt.timezone.utc).date()
    claire = core.read_plan(repo, core.resolve(repo, "main")).people["claire"]
    cons.announce(repo, claire, "demo-2016", "Consultation", today - dt.timedelta(days=1), today + dt.timedelta(days=9),
                  announced=today - dt.timedelta(days=15))
    alice, _pw = participants.Participants(dep).add(claire, "alice")
    cons.contribute_comment(repo, alice.person(), "demo-2016", "engagement-02", "Une idée")


def _visit_all(page: Page, base: str) -> list[str]:
    violations: list[str] = []
    page.expose_function("__reportViolation", lambda text: violations.append(f"{page.url}: {text}"))
    page.add_init_script(REPORTER)
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(f"{page.url}: {msg.text}"))
    for urls in PAGES.values():
        for url in urls:
            response = page.goto(base + url)
            assert response.headers.get("content-security-policy", "").startswith("default-src 'self'"), url
            page.wait_for_load_state("load")
    for url in ERROR_PAGES:
        page.goto(base + url)
    page.goto(base + "/commitments/engagement-02")
    page.locator("[data-anchor]").first.dblclick()  # comments.js runs on a selection
    page.wait_for_timeout(100)
    return violations


def test_no_policy_violation_signed_out(page: Page, seeded):
    violations = _visit_all(page, seeded.url)
    assert violations == []


@pytest.mark.parametrize("handle", ["karim", "paul"])
def test_no_policy_violation_signed_in(page: Page, seeded, handle):
    sign_in(page, seeded.url, handle)
    violations = _visit_all(page, seeded.url)
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()  # still signed in
    assert violations == []


def test_an_injected_inline_script_is_blocked_and_reported(page: Page, seeded):
    """The detector itself works: an inline script the page did not ship is refused."""
    violations: list[str] = []
    page.expose_function("__reportViolation", lambda text: violations.append(text))
    page.add_init_script(REPORTER)
    page.goto(seeded.url + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                             document.body.appendChild(s); const d = document.createElement('div');
                             d.setAttribute('style', 'color: red'); document.body.appendChild(d); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined")
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("style-src") for v in violations), violations


# -- stolen cookies ------------------------------------------------------------------------

def _session_cookie(context) -> dict:
    [cookie] = [c for c in context.cookies() if c["name"] == "session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    return cookie


def _try_with(browser, base: str, cookie: dict) -> Page:
    """Another browser, holding only a copy of the cookie: is anyone signed in?"""
    context = browser.new_context()
    context.add_cookies([cookie])
    other = context.new_page()
    other.goto(base + "/commitments/engagement-02")
    return other


def test_a_cookie_saved_before_sign_out_is_refused_after(page: Page, browser, live_server):
    sign_in(page, live_server.url, "karim")
    saved = _session_cookie(page.context)
    thief = _try_with(browser, live_server.url, saved)
    expect(header(thief).get_by_role("link", name="Karim Haddad")).to_be_visible()  # works while open
    thief.context.close()
    sign_out(page)
    thief = _try_with(browser, live_server.url, saved)
    expect(header(thief).get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    expect(thief.get_by_role("main")).to_contain_text("Votre session est terminée")
    expect(thief.locator("#comment-form")).to_have_count(0)
    thief.context.close()


def test_a_cookie_saved_before_a_password_change_is_refused_after(page: Page, browser, live_server):
    sign_in(page, live_server.url, "karim")
    elsewhere = browser.new_context()
    other = elsewhere.new_page()
    sign_in(other, live_server.url, "karim")
    saved = _session_cookie(page.context)
    page.goto(live_server.url + "/people/karim")
    expect(page.locator("#sessions tbody tr")).to_have_count(2)
    expect(page.locator("#sessions")).to_contain_text("(ce navigateur)")
    page.get_by_label("Mot de passe actuel").fill(demo_password("karim"))
    page.get_by_label("Nouveau mot de passe (au moins 8 caractères)").fill("un nouveau mot de passe")
    page.get_by_label("Nouveau mot de passe, à nouveau").fill("un nouveau mot de passe")
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_role("status")).to_contain_text("tous les autres navigateurs sont déconnectés")
    expect(header(page).get_by_role("link", name="Karim Haddad")).to_be_visible()  # this browser stays in
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    other.reload()
    expect(header(other).get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    elsewhere.close()
    thief = _try_with(browser, live_server.url, saved)
    expect(header(thief).get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    thief.context.close()


def test_sign_out_everywhere_from_the_profile(page: Page, browser, live_server, axe):
    sign_in(page, live_server.url, "sophie")
    elsewhere = browser.new_context()
    other = elsewhere.new_page()
    sign_in(other, live_server.url, "sophie")
    page.goto(live_server.url + "/people/sophie")
    axe(page)
    page.get_by_role("button", name="Se déconnecter partout").click()
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    other.reload()
    expect(header(other).get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    elsewhere.close()
