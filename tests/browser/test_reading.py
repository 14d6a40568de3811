"""Reading the plan in a real browser, as a reader would: French by default, English on request."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from playwright.sync_api import Page, expect

from review.gitrepo import GitRepo, Identity

ROOT = Path(__file__).resolve().parents[2]
PLAN_REPO = ROOT / "plan-repo"
C2 = "commitments/engagement-02"
TAG = "adopted-2015-07-16"
OLD_WORD, NEW_WORD = "considérables", "colossales"
TEST_PERSON = Identity("Test Person", "test@example.org")


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, f"{path} has no front matter"
    return yaml.safe_load(match.group(1))


PLAN = yaml.safe_load((PLAN_REPO / "plan.yaml").read_text(encoding="utf-8"))
C2_FR = front_matter(PLAN_REPO / C2 / "fr.md")
C2_EN = front_matter(PLAN_REPO / C2 / "en.md")


def change_a_word(live_server) -> str:
    """A second version on main: one word of engagement-02/fr.md replaced. Returns the new commit."""
    repo = GitRepo(Path(live_server.dir) / "plan.git")
    path = f"{C2}/fr.md"
    old = repo.read_file(repo.resolve("main"), path).decode("utf-8")
    assert old.count(OLD_WORD) == 1 and NEW_WORD not in old, "pick another word: the test needs a unique one"
    new_bytes = old.replace(OLD_WORD, NEW_WORD).encode("utf-8")
    new, _ = repo.commit_on("refs/heads/main", lambda tip: ({path: new_bytes}, "Change a word"), TEST_PERSON)
    assert repo.resolve("main") == new
    return new


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def test_index_lists_26_commitments_under_5_axes(page: Page, live_server, axe):
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(h1(page)).to_have_text(PLAN["title"]["fr"])

    axes = page.locator("main section.axis")
    expect(axes).to_have_count(5)
    expect(axes.locator("h2")).to_have_text([a["title"]["fr"] for a in PLAN["axes"]])
    expect(axes.locator("article.card")).to_have_count(26)
    for i in range(5):
        expect(axes.nth(i).locator("article.card").first).to_be_visible()

    card2 = page.locator("article.card").filter(has=page.get_by_text("Engagement 2", exact=True))
    expect(card2).to_have_count(1)
    expect(card2.get_by_role("heading", level=3)).to_have_text("Accroître la transparence de la commande publique")
    expect(card2).to_contain_text("Premier ministre")
    axe(page)


def test_commitment_page(page: Page, live_server, axe):
    page.goto(live_server.url + "/")
    card2 = page.locator("article.card").filter(has=page.get_by_text("Engagement 2", exact=True))
    card2.get_by_role("link").click()

    expect(page).to_have_url(f"{live_server.url}/{C2}")
    expect(h1(page)).to_have_text(C2_FR["title"])
    expect(page.get_by_text("Engagement 2", exact=True)).to_be_visible()

    about = page.get_by_role("complementary")
    expect(about.locator("dt").first).to_have_text("Administrations porteuses")
    leads = about.locator("dd").first.get_by_role("listitem")
    expect(leads).to_have_count(len(C2_FR["leads"]))
    expect(leads.first).to_have_text("Premier ministre")

    milestones = page.get_by_role("region", name="Jalons").get_by_role("table")
    expect(milestones.locator("thead th")).to_have_count(3)
    expect(milestones.locator("tbody tr td:first-child")).to_have_text(
        [m["title"]["fr"] for m in C2_FR["milestones"]])

    note = page.locator("main .version-note")
    expect(note).to_contain_text("Version affichée")
    expect(note).not_to_contain_text(TAG)
    expect(page.locator("article.commitment-body")).to_contain_text(OLD_WORD)
    axe(page)


def test_switch_to_english_persists(page: Page, live_server, axe):
    page.goto(f"{live_server.url}/{C2}")
    expect(page.get_by_role("link", name="Français")).to_have_count(0)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="English").click()

    expect(page).to_have_url(f"{live_server.url}/{C2}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(h1(page)).to_have_text(C2_EN["title"])
    expect(page.get_by_text("Lead administrations", exact=True)).to_be_visible()
    expect(page.get_by_role("complementary").get_by_role("listitem").first).to_have_text("Prime Minister")
    expect(page.locator("article.commitment-body")).to_have_attribute("lang", "en")
    axe(page)

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("lang") == "en", cookies

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(h1(page)).to_have_text(PLAN["title"]["en"])
    expect(page.get_by_role("link", name=C2_EN["title"])).to_be_visible()
    expect(page.get_by_role("link", name="English")).to_have_count(0)
    expect(page.get_by_role("link", name="Français")).to_be_visible()
    axe(page)


def test_history_and_word_diff(page: Page, live_server, axe):
    new = change_a_word(live_server)

    page.goto(f"{live_server.url}/{C2}")
    page.get_by_role("link", name="Historique de cet engagement").click()
    expect(page).to_have_url(re.compile(rf"/{C2}/history"))

    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.first
    expect(newest.locator("td").nth(1)).to_have_text("Test Person")
    expect(newest.locator("td").nth(2)).to_have_text("Change a word")
    expect(rows.nth(1)).not_to_contain_text("Test Person")
    axe(page)

    newest.get_by_role("link", name=re.compile(r"^modifications\b")).click()
    expect(page).to_have_url(re.compile(rf"/{C2}/diff\?.*to={new}"))
    words = page.locator(".rendered-diff")       # the prose rendered as on the page, changes marked
    expect(words.locator("del")).to_have_text([OLD_WORD])
    expect(words.locator("ins")).to_have_text([NEW_WORD])
    expect(words).to_contain_text("La commande publique mobilise des sommes")
    axe(page)
    page.get_by_role("link", name="Voir les modifications dans la source").click()
    words = page.locator("pre.word-diff")
    expect(words.locator("del")).to_have_text([OLD_WORD])
    expect(words.locator("ins")).to_have_text([NEW_WORD])
    unchanged = words.evaluate(
        "pre => [...pre.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('')")
    assert "La commande publique mobilise des sommes" in unchanged
    assert OLD_WORD not in unchanged and NEW_WORD not in unchanged
    axe(page)


def test_version_selector_shows_the_published_tag(page: Page, live_server, axe):
    change_a_word(live_server)

    page.goto(f"{live_server.url}/{C2}")
    body = page.locator("article.commitment-body")
    expect(body).to_contain_text(NEW_WORD)
    expect(body).not_to_contain_text(OLD_WORD)

    page.get_by_label("Afficher une autre version").select_option(TAG)
    page.get_by_role("button", name="Afficher").click()

    expect(page).to_have_url(re.compile(rf"/{C2}\?rev={TAG}$"))
    expect(body).to_contain_text(OLD_WORD)
    expect(body).not_to_contain_text(NEW_WORD)
    expect(page.locator("main .version-note")).to_contain_text(TAG)
    expect(page.get_by_label("Afficher une autre version")).to_have_value(TAG)
    axe(page)


def test_printable_plan(page: Page, live_server, axe):
    page.goto(live_server.url + "/plan")
    expect(h1(page)).to_have_text(PLAN["title"]["fr"])
    commitments = page.locator("main article.print-commitment")
    expect(commitments).to_have_count(26)
    expect(commitments.locator("h3")).to_have_count(26)
    expect(commitments.nth(1).locator("h3")).to_have_text(f"Engagement 2: {C2_FR['title']}")
    axe(page)

    nav = page.locator("body > header nav")
    expect(nav).to_be_visible()
    page.emulate_media(media="print")
    expect(nav).to_be_hidden()
    expect(commitments.first).to_be_visible()


def test_unknown_commitment_is_a_404_in_both_languages(page: Page, live_server, axe):
    path = "/commitments/nope"
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(h1(page)).to_have_text("Erreur 404")
    axe(page)

    with page.expect_response(live_server.url + path) as info:
        page.get_by_role("link", name="English").click()
    assert info.value.status == 404
    expect(page).to_have_url(live_server.url + path)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(h1(page)).to_have_text("Error 404")
    expect(page.get_by_role("link", name="Back to the plan")).to_be_visible()
    axe(page)
