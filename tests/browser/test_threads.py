"""Issue 17, points 2, 6 and 7 in a real browser, at desktop and phone widths, in French and English:
commenting on selected words where they are, acts that cannot be undone asking first (a <dialog>
with JavaScript, a second page without), resolved threads folded, unresolved counts, unread markers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import comments, signoff
from review import commitment as core
from review import progress

from .actions import demo_password

C4 = "engagement-04"
FR4 = f"commitments/{C4}/fr.md"
QUOTES = {"fr": "ces travaux éclairent les décideurs", "en": "this work informs decision-makers"}
T = {  # what the person reads, per language
    "fr": {"comment": "Commenter ce passage", "publish": "Publier", "published": "Votre commentaire est publié.",
           "body": "Votre commentaire (Markdown)", "cancel": "Annuler", "hide": "Masquer", "reason": "Motif du masquage",
           "hide?": "Masquer ce commentaire ?", "yes hide": "Oui, masquer", "hidden": "Commentaire de @karim masqué : hors sujet",
           "withdraw": "Retirer", "yes withdraw": "Oui, retirer", "withdrawn": r"^Amendement \d+ retiré\.$",
           "reject": "Rejeter", "reject reason": "Motif du rejet", "yes reject": "Oui, rejeter",
           "rejected": r"^Amendement \d+ rejeté : doublon$", "merge": "Intégrer au plan",
           "yes merge": "Oui, intégrer au plan", "merged": r"^Amendement \d+ intégré au plan : révision [0-9a-f]{7}$",
           "hide report": "Masquer le rapport", "report reason": "Motif du masquage de ce rapport",
           "yes hide report": "Oui, masquer le rapport", "report hidden": r"^Rapport d'avancement du \S+ de @antoine masqué : erroné$",
           "act": "Agir sur ce commentaire", "resolved": "Discussion résolue : 2 messages",
           "folded": "1 discussion résolue, repliée", "unresolved": "1 discussion non résolue",
           "new": "Nouveau", "new since": "1 nouveau commentaire depuis votre dernière visite",
           "plan new": "1 nouveau depuis votre dernière visite"},
    "en": {"comment": "Comment on this passage", "publish": "Publish", "published": "Your comment was published.",
           "body": "Your comment (Markdown)", "cancel": "Cancel", "hide": "Hide", "reason": "Reason for hiding",
           "hide?": "Hide this comment?", "yes hide": "Yes, hide", "hidden": "Comment by @karim hidden: hors sujet",
           "withdraw": "Withdraw", "yes withdraw": "Yes, withdraw", "withdrawn": r"^Amendment \d+ withdrawn\.$",
           "reject": "Reject", "reject reason": "Reason for rejecting", "yes reject": "Yes, reject",
           "rejected": r"^Amendment \d+ rejected: doublon$", "merge": "Merge into the plan",
           "yes merge": "Yes, merge into the plan", "merged": r"^Amendment \d+ merged into the plan: revision [0-9a-f]{7}$",
           "hide report": "Hide the report", "report reason": "Reason for hiding this report",
           "yes hide report": "Yes, hide the report", "report hidden": r"^Progress report of \S+ by @antoine hidden: erroné$",
           "act": "Act on this comment", "resolved": "Resolved thread: 2 messages",
           "folded": "1 resolved thread, folded", "unresolved": "1 unresolved thread",
           "new": "New", "new since": "1 new comment since your last visit",
           "plan new": "1 new since your last visit"},
}
CASES = [(1280, "fr"), (390, "en"), (1280, "en"), (390, "fr")]


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _sign_in(page: Page, url: str, handle: str, lang: str) -> None:
    page.goto(f"{url}/lang/{lang}?next=/signin")
    page.locator("#handle").fill(handle)
    page.locator("#password").fill(demo_password(handle))
    page.locator("main button[type=submit]").click()
    expect(page.locator("header .me")).to_have_count(1)


def _range_box(page: Page, block_id: str, words: str) -> dict:
    """Where `words` are on the screen (their first and last character), scrolled into view."""
    page.locator(f"#{block_id}").scroll_into_view_if_needed()
    box = page.evaluate(
        """([id, words]) => {
            const walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const i = n.data.indexOf(words);
                if (i < 0) continue;
                const first = document.createRange(); first.setStart(n, i); first.setEnd(n, i + 1);
                const last = document.createRange(); last.setStart(n, i + words.length - 1); last.setEnd(n, i + words.length);
                const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
                return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
            }
            return null;
        }""", [block_id, words])
    assert box, f"{words!r} is not in one text node of #{block_id}"
    return box


def _select_first_letter(page: Page, block_id: str, words: str) -> None:
    page.evaluate(
        """([id, words]) => {
            const walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const i = n.data.indexOf(words);
                if (i < 0) continue;
                window.getSelection().setBaseAndExtent(n, i, n, i + 1);
                return;
            }
        }""", [block_id, words])


@pytest.mark.parametrize("width, lang", CASES)
def test_selected_words_get_a_button_that_opens_the_form_there(page: Page, live_server, axe, width, lang):
    url, t, quote = live_server.url, T[lang], QUOTES[lang]
    page.set_viewport_size({"width": width, "height": 800})
    _sign_in(page, url, "karim", lang)
    page.goto(f"{url}/commitments/{C4}")
    page.evaluate("window.cspViolations = [];"
                  "document.addEventListener('securitypolicyviolation', e => cspViolations.push(e.violatedDirective))")
    form = page.locator("#comment-form")
    button = page.get_by_role("button", name=t["comment"])
    expect(button).to_have_count(0)

    # With the mouse: press before the words, drag to their end, release.
    box = _range_box(page, "p-2", quote)
    page.mouse.move(box["x1"] - 1, box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
    expect(button).to_be_visible()
    # beside the selection: just under the words, within the window
    b, text_box = button.bounding_box(), page.locator("#p-2").bounding_box()
    assert text_box["y"] <= b["y"] <= text_box["y"] + text_box["height"] + 60
    assert 0 <= b["x"] and b["x"] + b["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    button.click()
    expect(form).to_be_visible()
    expect(form.locator("blockquote")).to_have_text(quote)  # the quote is shown
    expect(page.locator("#anchor")).to_have_value("p-2")
    expect(page.locator("#quote")).to_have_value(quote)
    expect(page.get_by_label(t["body"])).to_be_focused()
    f, text_box = form.bounding_box(), page.locator("#p-2").bounding_box()
    assert 0 <= f["y"] - (text_box["y"] + text_box["height"]) < 200, "the form opens right under the passage"
    axe(page)

    # Escape closes it: the form goes back to its place at the end of the discussion.
    page.keyboard.press("Escape")
    expect(form.locator("blockquote")).to_have_count(0)
    assert form.bounding_box()["y"] > page.locator("#comments-title").bounding_box()["y"]

    # With the keyboard: Shift+arrows extend a selection (here, of the first letter: without caret
    # browsing a browser has no caret in read-only text to start from), then Tab to the button.
    _select_first_letter(page, "p-2", quote)
    for _ in quote[1:]:
        page.keyboard.press("Shift+ArrowRight")
    expect(button).to_be_visible()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(form.locator("blockquote")).to_have_text(quote)
    page.keyboard.type("Lesquels ?")
    assert page.evaluate("cspViolations") == []  # the button is placed through the CSSOM: the CSP holds
    page.get_by_role("button", name=t["publish"], exact=True).click()
    expect(page.get_by_role("status").first).to_have_text(t["published"])
    thread = page.locator("#comments article.comment")
    expect(thread).to_have_count(1)
    expect(thread.locator("blockquote")).to_have_text(quote)
    axe(page)


def test_without_javascript_the_passage_field_still_works(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, "karim", "fr")
        page.goto(f"{live_server.url}/commitments/{C4}")
        page.locator("#anchor").select_option("p-2")
        page.locator("#quote").fill(QUOTES["fr"])
        page.get_by_label(T["fr"]["body"]).fill("Sans script")
        page.get_by_role("button", name="Publier", exact=True).click()
        expect(page.locator("#comments article.comment blockquote")).to_have_text(QUOTES["fr"])
    finally:
        context.close()


def _amendment(repo, handle="lucie", approved=False) -> int:
    p = _people(repo)
    text = repo.read_file(repo.resolve("main"), FR4).decode()
    a = am.propose(repo, p[handle], C4, "Préciser", "Plus clair.", {FR4: text.replace("## Enjeux", "## Les enjeux", 1)})
    if approved:
        signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
        signoff.give_verdict(repo, p["sophie"], a.number, a.head, "approve")
    return a.number


def _dialog_confirms(page: Page, t: dict, yes: str, axe) -> None:
    """The dialog asks; Cancel (or Escape) changes nothing; the caller then confirms."""
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    axe(page)
    dialog.get_by_role("button", name=t["cancel"]).click()
    expect(dialog).to_have_count(0)


@pytest.mark.parametrize("width, lang", CASES[:2])
def test_acts_that_cannot_be_undone_ask_in_a_dialog(page: Page, live_server, repo, axe, width, lang):
    url, t = live_server.url, T[lang]
    p = _people(repo)
    page.set_viewport_size({"width": width, "height": 800})
    c = comments.add(repo, p["karim"], C4, "à masquer")
    rep = progress.report(repo, p["antoine"], C4, "limited", "Premiers pas", [])
    withdrawn, rejected, merged = _amendment(repo, "karim"), _amendment(repo), _amendment(repo, approved=True)
    dialog = page.locator("dialog.confirm-dialog")

    # hide a comment: cancelled, Escape, then confirmed; the message names the comment
    _sign_in(page, url, "lucie", lang)
    page.goto(f"{url}/commitments/{C4}")
    thread = page.locator(f"#c-{c.id}")
    thread.get_by_text(t["act"]).click()
    thread.get_by_label(t["reason"]).fill("hors sujet")
    thread.get_by_role("button", name=t["hide"], exact=True).click()
    expect(dialog.get_by_role("heading")).to_have_text(t["hide?"])
    expect(dialog.locator("blockquote")).to_have_text("hors sujet")
    _dialog_confirms(page, t, t["yes hide"], axe)
    thread.get_by_role("button", name=t["hide"], exact=True).click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert not comments.get(repo, C4, c.id).hidden
    thread.get_by_role("button", name=t["hide"], exact=True).click()
    dialog.get_by_role("button", name=t["yes hide"]).click()
    expect(page.get_by_role("status").first).to_have_text(t["hidden"])
    assert comments.get(repo, C4, c.id).hidden

    # hide a progress report
    report = page.locator(f"#r-{rep.id}")
    report.locator("details.report-actions > summary").click()
    report.get_by_label(t["report reason"]).fill("erroné")
    report.get_by_role("button", name=t["hide report"]).click()
    _dialog_confirms(page, t, t["yes hide report"], axe)
    report.get_by_role("button", name=t["hide report"]).click()
    dialog.get_by_role("button", name=t["yes hide report"]).click()
    expect(page.get_by_role("status").first).to_have_text(re.compile(t["report hidden"]))

    # withdraw (the author)
    _sign_in(page, url, "karim", lang)
    page.goto(f"{url}/amendments/{withdrawn}")
    page.get_by_role("button", name=t["withdraw"], exact=True).click()
    _dialog_confirms(page, t, t["yes withdraw"], axe)
    assert am.get(repo, withdrawn).state == "open"
    page.get_by_role("button", name=t["withdraw"], exact=True).click()
    dialog.get_by_role("button", name=t["yes withdraw"]).click()
    expect(page.get_by_role("status").first).to_have_text(re.compile(t["withdrawn"]))

    # reject and merge (the coordinator)
    _sign_in(page, url, "claire", lang)
    page.goto(f"{url}/amendments/{rejected}")
    page.get_by_label(t["reject reason"]).fill("doublon")
    page.get_by_role("button", name=t["reject"], exact=True).click()
    _dialog_confirms(page, t, t["yes reject"], axe)
    page.get_by_role("button", name=t["reject"], exact=True).click()
    dialog.get_by_role("button", name=t["yes reject"]).click()
    expect(page.get_by_role("status").first).to_have_text(re.compile(t["rejected"]))
    page.goto(f"{url}/amendments/{merged}")
    page.get_by_role("button", name=t["merge"], exact=True).click()
    _dialog_confirms(page, t, t["yes merge"], axe)
    assert am.get(repo, merged).state == "open"
    page.get_by_role("button", name=t["merge"], exact=True).click()
    dialog.get_by_role("button", name=t["yes merge"]).click()
    expect(page.get_by_role("status").first).to_have_text(re.compile(t["merged"]))
    assert am.get(repo, merged).state == "merged"
    axe(page)


@pytest.mark.parametrize("width", (1280, 390))
def test_without_javascript_hiding_takes_a_second_step(browser, live_server, repo, width):
    p = _people(repo)
    c = comments.add(repo, p["karim"], C4, "à masquer")
    rep = progress.report(repo, p["antoine"], C4, "limited", "Premiers pas", [])
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 800})
    page = context.new_page()
    t = T["fr"]
    try:
        _sign_in(page, live_server.url, "lucie", "fr")
        page.goto(f"{live_server.url}/commitments/{C4}")
        thread = page.locator(f"#c-{c.id}")
        thread.get_by_text(t["act"]).click()
        thread.get_by_label(t["reason"]).fill("hors sujet")
        thread.get_by_role("button", name=t["hide"], exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t["hide?"])
        expect(page.locator("main")).to_contain_text("à masquer")  # what will be hidden
        page.get_by_role("button", name=t["cancel"]).click()  # a link back
        assert not comments.get(repo, C4, c.id).hidden
        thread.get_by_text(t["act"]).click()
        thread.get_by_label(t["reason"]).fill("hors sujet")
        thread.get_by_role("button", name=t["hide"], exact=True).click()
        page.get_by_role("button", name=t["yes hide"]).click()
        expect(page.get_by_role("status").first).to_have_text(t["hidden"])

        page.locator(f"#r-{rep.id} details.report-actions > summary").click()
        page.locator(f"#r-{rep.id}").get_by_label(t["report reason"]).fill("erroné")
        page.locator(f"#r-{rep.id}").get_by_role("button", name=t["hide report"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Masquer ce rapport d'avancement ?")
        page.get_by_role("button", name=t["yes hide report"]).click()
        expect(page.get_by_role("status").first).to_have_text(re.compile(t["report hidden"]))
    finally:
        context.close()


@pytest.mark.parametrize("width, lang", CASES[:2])
def test_the_second_step_page_passes_axe(page: Page, live_server, repo, axe, width, lang):
    """axe needs JavaScript: the page a browser without it gets, reached with the dialog taken off."""
    c = comments.add(repo, _people(repo)["karim"], C4, "à masquer")
    t = T[lang]
    page.set_viewport_size({"width": width, "height": 800})
    _sign_in(page, live_server.url, "lucie", lang)
    page.goto(f"{live_server.url}/commitments/{C4}")
    page.evaluate("document.querySelectorAll('[data-confirm]').forEach(f => f.removeAttribute('data-confirm'))")
    thread = page.locator(f"#c-{c.id}")
    thread.get_by_text(t["act"]).click()
    thread.get_by_label(t["reason"]).fill("hors sujet")
    thread.get_by_role("button", name=t["hide"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["hide?"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page)


@pytest.mark.parametrize("width, lang", CASES[:2])
def test_threads_fold_count_and_mark_what_is_new(page: Page, live_server, repo, axe, width, lang):
    url, t = live_server.url, T[lang]
    p = _people(repo)
    page.set_viewport_size({"width": width, "height": 800})
    done = comments.add(repo, p["karim"], C4, "Réglé")
    comments.add(repo, p["antoine"], C4, "Oui", reply_to=done.id)
    comments.resolve(repo, p["karim"], C4, done.id)
    comments.add(repo, p["karim"], C4, "Encore ouvert")

    _sign_in(page, url, "sophie", lang)
    page.goto(f"{url}/")
    expect(page.get_by_role("link", name=t["unresolved"])).to_be_visible()
    axe(page)

    page.goto(f"{url}/commitments/{C4}")
    folded = page.locator("details.thread-resolved")
    expect(page.locator("#comments")).to_contain_text(t["folded"])
    expect(folded).to_have_count(1)
    expect(folded.locator("> summary")).to_contain_text(t["resolved"])
    expect(folded.get_by_text("Réglé")).to_be_hidden()
    expect(page.get_by_text("Encore ouvert")).to_be_visible()
    expect(page.locator(".unread-marker")).to_have_count(0)  # a first visit marks nothing
    folded.locator("> summary").click()
    expect(folded.get_by_text("Réglé")).to_be_visible()
    axe(page)

    # Karim answers in the resolved thread: Sophie sees it marked, on the plan and in the thread
    comments.add(repo, p["karim"], C4, "Pas tout à fait", reply_to=done.id)
    page.goto(f"{url}/")
    expect(page.get_by_role("link", name=t["plan new"])).to_be_visible()
    page.get_by_role("link", name=t["plan new"]).click()
    expect(page.locator(".unread-summary")).to_contain_text(t["new since"])
    expect(folded.locator("> summary .unread-marker")).to_be_visible()
    page.locator(".unread-summary a").click()
    new = page.locator("article.comment.unread")
    expect(new).to_have_count(1)
    expect(new).to_contain_text("Pas tout à fait")
    expect(new.locator(".unread-marker")).to_have_text(t["new"])
    axe(page)
    page.reload()  # seen now
    expect(page.locator(".unread-marker")).to_have_count(0)
