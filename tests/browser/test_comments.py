"""Commenting on a passage in a real browser: select words, publish, reply, resolve, and follow the text as it changes."""

from __future__ import annotations

import re
from pathlib import Path

from .actions import sign_in, sign_out
from playwright.sync_api import Page, expect

from review.gitrepo import GitRepo, Identity

C4 = "commitments/engagement-04"
PATH = f"{C4}/fr.md"
QUOTE = "ces travaux éclairent les décideurs"  # in paragraph p-2, after the footnote reference
NEW_PARAGRAPH = "Un paragraphe ajouté avant les enjeux détaillés."
TEST_PERSON = Identity("Test Person", "test@example.org")






def select_words(page: Page, block_id: str, words: str) -> None:
    """Select `words` inside the block (a Range in the selection, as a mouse leaves it), then
    take the button that appears beside them: the comment form opens there."""
    found = page.evaluate(
        """([id, words]) => {
            const block = document.getElementById(id);
            const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const i = n.data.indexOf(words);
                if (i < 0) continue;
                const range = document.createRange();
                range.setStart(n, i);
                range.setEnd(n, i + words.length);
                const sel = window.getSelection();
                sel.removeAllRanges();
                sel.addRange(range);
                document.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
                return true;
            }
            return false;
        }""",
        [block_id, words],
    )
    assert found, f"{words!r} is not in one text node of #{block_id}"
    page.get_by_role("button", name="Commenter ce passage").click()


def commit_main(live_server, change, message: str) -> str:
    repo = GitRepo(Path(live_server.dir) / "plan.git")
    old = repo.read_file(repo.resolve("main"), PATH).decode("utf-8")
    new_text = change(old)
    assert new_text != old
    new, _ = repo.commit_on("refs/heads/main", lambda tip: ({PATH: new_text.encode("utf-8")}, message), TEST_PERSON)
    return new


def test_comment_on_words_reply_resolve_and_follow_the_text(page: Page, live_server, axe):
    url = live_server.url
    repo = GitRepo(Path(live_server.dir) / "plan.git")
    commented_rev = repo.resolve("main")
    text = repo.read_file(commented_rev, PATH).decode("utf-8")
    assert text.count(QUOTE) == 1 and NEW_PARAGRAPH not in text

    # Karim selects a few words of paragraph 2: the form's passage and quote follow.
    sign_in(page, url, "karim")
    page.goto(f"{url}/{C4}")
    expect(page.locator("#p-2")).to_contain_text(QUOTE)
    select_words(page, "p-2", QUOTE)
    expect(page.locator("#anchor")).to_have_value("p-2")
    expect(page.locator("#quote")).to_have_value(QUOTE)
    page.get_by_label("Votre commentaire (Markdown)").fill("Lesquels, et **comment** ?")
    page.get_by_role("button", name="Publier", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Votre commentaire est publié.")
    count = page.locator(".block", has=page.locator("#p-2")).locator(".block-count")
    expect(count).to_have_text("1 commentaire sur ce passage")
    thread = page.locator("#comments > article.comment, #comments > details > article.comment")  # resolved: folded
    expect(thread).to_have_count(1)
    expect(thread.locator("blockquote")).to_have_text(QUOTE)
    expect(thread.locator("strong", has_text="comment")).to_be_visible()
    expect(page.locator("h3.thread-place a")).to_have_attribute("href", "#p-2")
    axe(page)
    sign_out(page)

    # Antoine (of the lead administration) replies, then resolves the thread.
    sign_in(page, url, "antoine")
    page.goto(f"{url}/{C4}")
    thread.get_by_text("Agir sur ce commentaire").first.click()
    actions = thread.locator("details.comment-actions").first
    actions.get_by_label("Répondre").fill("Les évaluations de la MAP d'abord.")
    actions.get_by_role("button", name="Répondre").click()
    reply = thread.locator(".reply article.comment")
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text("Les évaluations de la MAP d'abord.")
    expect(reply).to_contain_text("@antoine")

    thread.get_by_text("Agir sur ce commentaire").first.click()
    actions.get_by_role("button", name="Résoudre").click()
    expect(page.get_by_role("status").first).to_have_text("Discussion de @karim résolue.")
    page.locator("details.thread-resolved > summary").click()  # a resolved thread is folded
    expect(thread.locator("> header")).to_contain_text("résolu")
    axe(page)

    # A paragraph is inserted before: the quoted words are now in paragraph 3, and the comment follows.
    commit_main(live_server, lambda t: t.replace("## Enjeux\n\n", f"## Enjeux\n\n{NEW_PARAGRAPH}\n\n", 1),
                "Insert a paragraph")
    page.reload()
    expect(page.locator("#p-2")).to_have_text(NEW_PARAGRAPH)
    expect(page.locator("#p-3")).to_contain_text(QUOTE)
    place = page.locator("h3.thread-place")
    expect(place).to_have_count(1)
    expect(place.get_by_role("link")).to_have_attribute("href", "#p-3")
    expect(page.locator(".block", has=page.locator("#p-3")).locator(".block-count")).to_have_count(1)

    # The quoted words themselves are replaced: the thread is on a passage that has changed.
    commit_main(live_server, lambda t: t.replace(QUOTE, "ces études guident l'État"), "Replace the quoted words")
    page.reload()
    expect(place).to_contain_text("Sur un passage modifié depuis")
    old_version = place.get_by_role("link", name="voir la version commentée")
    expect(old_version).to_have_attribute("href", re.compile(rf"\?rev={commented_rev}#p-2$"))
    expect(page.locator(".block-count")).to_have_count(0)
    axe(page)

    # The link shows the version that was commented, with the words in paragraph 2.
    old_version.click()
    expect(page.locator("#p-2")).to_contain_text(QUOTE)
