"""The end-of-term self-assessment in a real browser: it renders with its table of contents,
axe-core finds nothing, it fits 320 px, and printed (print media, then a PDF) the contents stay
while the term form and the site's menus go."""

from __future__ import annotations

import io
import re
import unicodedata

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ..test_selfassessment import CID, M_DEC, TERM, at, lived, people  # noqa: F401 (fixtures)
from .test_mobile import CUT_OFF

PATH = f"/self-assessment?from={TERM[0]}&to={TERM[1]}"


def test_self_assessment_renders_fits_and_prints(page: Page, live_server, axe, lived):
    url = live_server.url
    page.goto(url + "/progress")
    page.get_by_role("link", name="Autoévaluation de fin de mandat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autoévaluation de fin de mandat")

    page.goto(url + PATH)
    toc = page.get_by_role("navigation", name="Sommaire")
    expect(toc).to_be_visible()
    toc.get_by_role("link", name="Engagement 17", exact=False).click()
    expect(page).to_have_url(re.compile(rf"#sa-{CID}$"))
    row = page.locator(f"#sa-{CID}-{M_DEC}")
    expect(row).to_contain_text("achevé en retard")
    expect(row.get_by_role("link", name="https://www.modernisation.gouv.fr/etat-plateforme")).to_be_visible()
    expect(page.locator(f"#sa-{CID} .sa-contested")).to_contain_text("La forge n'est pas ouverte.")
    axe(page)

    # a phone: nothing scrolls sideways, the wide tables scroll in their own box
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(url + PATH)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"
    assert page.evaluate(CUT_OFF) == []
    axe(page)

    # printed: the table of contents stays, the term form and the site's navigation go
    page.set_viewport_size({"width": 1024, "height": 768})
    page.emulate_media(media="print")
    page.goto(url + PATH)
    expect(page.locator("nav.sa-toc")).to_be_visible()
    expect(page.locator(".sa-term-form")).to_be_hidden()
    expect(page.locator("header nav")).to_be_hidden()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = [unicodedata.normalize("NFKC", p.extract_text()) for p in pdf.pages]  # the PDF's ligatures: "ﬀ"
    contents = "".join(text[:text.index(next(t for t in text if "Sommaire" in t)) + 3])
    assert "Sommaire" in text[0]  # the contents start on the first page
    for entry in ("Chiffres de la période", "Engagement 17", "Engagement 26", "Amendements fusionnés pendant",
                  "Consultations tenues pendant"):
        assert entry in contents, entry
    assert len(pdf.pages) > 5  # a section per page break: figures, commitments, amendments, consultations

    # in English
    page.emulate_media(media="screen")
    page.goto(url + PATH + "&lang=en")
    expect(page.get_by_role("navigation", name="Contents")).to_be_visible()
    expect(page.locator(f"#sa-{CID}-{M_DEC}")).to_contain_text("completed late")
    axe(page)
