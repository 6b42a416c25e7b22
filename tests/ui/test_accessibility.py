"""WCAG 2.1 AA checks of the web UI in a real browser: axe-core (tests/ui/vendor/axe.min.js)
runs on each main view, signed in as the role that uses it and with realistic data, and
finds no violations; and the review queue works by keyboard alone (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.service import record
from app.content.models import ItemStateEvent
from app.pages import register
from app.pages.models import Page
from app.review.models import ItemNote
from app.ui.web import today
from tests.test_erms import JPEG, make_case
from tests.test_search import add_item as archive_item
from tests.ui.conftest import browser_login, screenshot, ui_user
from tests.ui.test_policies_ui import preset
from tests.ui.test_register_ui import FULL
from tests.ui.test_register_ui import _pages as register_pages
from tests.ui.test_review_ui import (
    PAGE_A,
    PAGE_B,
    T0,
    UNIT_A,
    add_item,
    add_media,
    match,
    png,
    two_pages,
)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 3).map(n => ({target: n.target.join(' '), html: n.html}))}));
}"""


class Axe:
    """Runs axe on views and collects their violations, so that one run reports every
    view's problems at once."""

    def __init__(self, tab: Any, base_url: str) -> None:
        self.tab = tab
        self.base_url = base_url
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.views: list[str] = []
        # The Content-Security-Policy runs only scripts from the site itself, so axe
        # cannot be added inline (add_script_tag(path=...)): the page loads it from a
        # same-origin URL that Playwright answers with the vendored file.
        self.script = f"{base_url}/ui/static/axe.min.js"
        tab.route(self.script,
                  lambda route: route.fulfill(path=AXE, content_type="text/javascript"))

    def check(self, view: str, url: str | None = None) -> None:
        if url is not None:
            self.tab.goto(f"{self.base_url}{url}")
        self.tab.add_script_tag(url=self.script)
        violations = self.tab.evaluate(RUN_AXE, WCAG_AA)
        unmarked = not_marked_swedish(self.tab)
        if unmarked:
            violations.append({
                "id": "language-of-parts", "impact": "serious", "count": len(unmarked),
                "help": "Swedish archived text on a page in another language needs lang=sv",
                "nodes": [{"target": "", "html": html} for html in unmarked[:3]]})
        self.views.append(view)
        if violations:
            self.found[view] = violations

    def report(self) -> str:
        lines = []
        for view, violations in self.found.items():
            lines.append(f"{view}:")
            for v in violations:
                lines.append(f"  {v['id']} [{v['impact']}] {v['help']} ({v['count']} elements)")
                for node in v["nodes"]:
                    lines.append(f"    {node['target']}: {node['html'][:200]}")
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert self.views, "no view was checked"
        if self.found:
            pytest.fail("WCAG 2.1 AA violations:\n" + self.report(), pytrace=False)


def english(tab: Any) -> None:
    """Switches the UI to English with the button in the header."""
    tab.get_by_role("button", name="English").click()
    tab.wait_for_function("document.documentElement.lang === 'en'")


def not_marked_swedish(tab: Any) -> list[str]:
    """The archived texts (comments, posts, notes, marked words) that are not marked as
    Swedish on a page in another language (WCAG 3.1.2, language of parts)."""
    return tab.evaluate("""() => document.documentElement.lang === 'sv' ? [] :
      [...document.querySelectorAll('main .comment, main q, main mark')]
      .filter(e => e.textContent.trim() && e.closest('[lang]').lang !== 'sv')
      .map(e => e.outerHTML.slice(0, 120))""")


def test_the_checks_can_fail(page):
    """A field without a label, an image without a text, and Swedish text on an English
    page not marked as Swedish are found."""
    page.set_content('<html lang="sv"><head><title>x</title></head><body><main>'
                     '<input name="q"><img src="data:,"></main></body></html>')
    page.add_script_tag(path=str(AXE))
    ids = {v["id"] for v in page.evaluate(RUN_AXE, WCAG_AA)}
    assert {"label", "image-alt"} <= ids
    page.set_content('<html lang="en"><body><main><p>Comment:</p><div class="comment">'
                     'Hej <mark>kommunen</mark></div><q lang="sv">Tack!</q></main></body></html>')
    assert len(not_marked_swedish(page)) == 2


def review_data(db: Any, settings: Any) -> None:
    """A post with hidden and flagged comments (marked words), a note, a state event and
    a preserved image; as the review tests build it."""
    two_pages(db)
    with db.transaction() as s:
        add_item(s, f"{PAGE_A}_77", "Välkommen till sommarens konserter i Folkparken! "
                 "Programmet finns på kommunens webbplats.", kind="post", state="visible",
                 decision=None, author=None, at=T0 - timedelta(days=1))
        text = "Vilken jävla skitkonsert, arrangörerna borde skämmas"
        item = add_item(s, f"{PAGE_A}_77_1", text, post=f"{PAGE_A}_77",
                        matches=[match(text, "jävla"), match(text, "skit", term="skit*")],
                        at=T0 + timedelta(hours=3))
        spam = "Köp billiga solglasögon på http://rea-glas.example innan det tar slut!!"
        add_item(s, f"{PAGE_A}_77_2", spam, post=f"{PAGE_A}_77", author=("556", "Rea Glas"),
                 matches=[match(spam, "http://rea-glas.example", category="spam",
                                rule="links", term="unknown shortener")],
                 at=T0 + timedelta(hours=2))
        add_item(s, f"{PAGE_A}_77_3", "Finns det parkering vid scenen? Och hur dags börjar "
                 "det på lördag?", post=f"{PAGE_A}_77", state="visible", decision="review",
                 author=("557", "Per Persson"), at=T0 + timedelta(hours=1),
                 categories=["copyright"])
        add_item(s, f"{PAGE_A}_77_4", "Dold av en administratör på Facebook", decision=None,
                 post=f"{PAGE_A}_77", author=("558", "Lena Ek"), at=T0)
        skola = "Rektorn är en idiot"
        add_item(s, f"{PAGE_B}_77_1", skola, page=PAGE_B, post=f"{PAGE_B}_77",
                 matches=[match(skola, "idiot", category="defamation")], at=T0)
        s.add(ItemStateEvent(item_id=item.id, verb="hide", state="hidden",
                             occurred_at=T0 + timedelta(hours=3, seconds=20), source="uppsikt"))
        s.add(ItemNote(item_id=item.id, created_by="ida",
                       text="Samma person skrev liknande förra veckan."))
        record(s, actor="system", act="decision", subject_type="item",
               subject_id=item.platform_id, detail={"version": 1, "decision": "hide",
                                                    "categories": ["profanity"]})
    add_media(db, settings, f"{PAGE_A}_77_1", png(), "image/png")


def test_a_moderators_views(live_server, db, page, settings):
    review_data(db, settings)
    name = ui_user(db, "moderator", unit=UNIT_A, username="moa", display_name="Moa Lind")
    axe = Axe(page, live_server)
    axe.check("login", "/ui/login")
    page.get_by_label("Användarnamn").fill(name)
    page.get_by_label("Lösenord").fill("fel lösenord")
    page.get_by_role("button", name="Logga in").click()
    assert page.get_by_role("alert").is_visible()
    axe.check("login with an error")
    browser_login(page, live_server, name)
    axe.check("start (moderator)", "/ui/")
    axe.check("review queue", "/ui/review")
    axe.check("item page", f"/ui/items/{PAGE_A}_77_1")
    page.goto(f"{live_server}/ui/review")
    page.locator(f"#rad-{PAGE_A}_77_2").get_by_role("button", name="Felaktig träff").click()
    page.wait_for_url("**/ui/review?klart=false_positive_restored*")
    axe.check("review queue after an act (status message)")
    axe.check("false positives", "/ui/review/false-positives")
    axe.check("error page (another unit's item)", f"/ui/items/{PAGE_B}_77_1")
    assert page.get_by_role("heading", name="Det gick inte (404)").is_visible()
    page.goto(f"{live_server}/ui/review")
    english(page)
    axe.check("review queue in English")
    axe.check("item page in English", f"/ui/items/{PAGE_A}_77_1")
    axe.assert_clean()


def test_a_registrars_views(live_server, db, page, settings):
    ui_user(db, "registrar", username="karin", display_name="Karin Lund")
    case_id = make_case(db, settings.media_dir, item="5550001_21", status="pending",
                        page_name="Kultur och fritid", media=((JPEG, "image/jpeg"),),
                        kind="message", author=("9002", "Per Persson"),
                        text="Hej! Jag vill begära ut protokollet från senaste nämndmötet.")
    make_case(db, settings.media_dir, item="5550001_22", page_name="Kultur och fritid",
              text="Tack för snabbt svar om bygglovet!", diarienummer="KS 2026/0100")
    make_case(db, settings.media_dir, item="5550001_23", status="pending",
              page_name="Kultur och fritid", secret=True,
              text="Min granne har skyddad identitet och bor på Storgatan 5.")
    at = T0 - timedelta(days=200)
    with db.transaction() as s:
        archive_item(s, "5550001_30", "Snöröjningen på Storgatan är försenad igen. När kommer "
                     "plogbilen till Storgatan?", page="5550001", at=at)
        archive_item(s, "5550001_31", "Tack för att ni plogade Storgatan så tidigt!",
                     page="5550001", author=("9003", "Lena Ek"), at=at + timedelta(hours=5),
                     state="hidden")
    axe = Axe(page, live_server)
    browser_login(page, live_server, "karin")
    axe.check("start (registrar)", "/ui/")
    axe.check("registration queue", "/ui/registration")
    axe.check("registration case", f"/ui/registration/{case_id}")
    page.get_by_label("Diarienummer", exact=True).fill("   ")
    page.get_by_label("Ärendemening", exact=True).fill("Begäran om protokoll")
    page.get_by_role("button", name="Registrera", exact=True).click()
    assert page.get_by_role("alert").is_visible()
    axe.check("registration case with a validation error")
    axe.check("registration downloads", "/ui/registration/downloads")
    page.get_by_label("Ord", exact=True).last.fill("storgatan")
    page.locator("#r-date_from").fill("2026-03-02")
    page.locator("#r-date_to").fill("2026-03-01")
    page.get_by_role("button", name="Hämta paketet (zip)").click()
    assert page.get_by_role("alert").is_visible()
    axe.check("registration downloads with a validation error")
    axe.check("search with hits", "/ui/search?q=storgatan")
    assert page.locator("tbody tr").count() >= 2 and page.locator("td mark").count() >= 3
    axe.check("search with a validation error", "/ui/search?q=storgatan&date_from=1+mars")
    assert page.get_by_role("alert").is_visible()
    english(page)
    axe.check("registration case in English", f"/ui/registration/{case_id}")
    axe.check("search in English", "/ui/search?q=storgatan")
    axe.assert_clean()


def test_an_information_officers_views(live_server, db, page):
    register_pages(db)
    preset(db, {"level": "medium", "custom": [
        {"name": "ortnamn", "category": "defamation", "words": ["knasboll", "dumbom*"]}]},
        actor="info-bertil", note="Första versionen", platform_id="1001")
    with db.transaction() as s:
        row = s.scalars(select(Page).where(Page.platform_id == "1001")).one()
        values, problems = register.parse(FULL, fields=register.FIELDS, today=today())
        assert problems == []
        register.update(s, row, values, username="info-bertil")
    name = ui_user(db, "information_officer", username="info-anna",
                   display_name="Anna Informatör")
    axe = Axe(page, live_server)
    browser_login(page, live_server, name)
    page.locator("#sida-1001").get_by_role("button", name="Granskat").click()
    page.get_by_text("Du har markerat sidan som granskad idag.").wait_for()
    axe.check("start (information officer, after signing off)")
    axe.check("account register", "/ui/pages")
    axe.check("register entry", "/ui/pages/1001")
    axe.check("register entry, edit", "/ui/pages/1001/edit")
    page.get_by_label("Närvaron avslutad").fill("2024-12-31")
    page.get_by_role("button", name="Spara").click()
    assert page.get_by_role("alert").filter(has_text="sparades inte").is_visible()
    axe.check("register entry, edit with a validation error")
    axe.check("policy and word lists (editable)", "/ui/pages/1001/policy")
    page.get_by_label("Namn", exact=True).fill("Mina ord!")
    page.locator("#new-words").fill("knasboll, snorkråka")
    page.get_by_role("button", name="Skapa listan").click()
    assert page.get_by_role("alert").is_visible()
    axe.check("policy with a validation error")
    page.get_by_role("link", name="Testa en text mot sidans policy").click()
    page.get_by_label("Text", exact=True).fill("Vilken knasboll du är, din dumbomme!")
    page.get_by_role("button", name="Testa").click()
    assert page.locator(".comment mark").count() == 2
    axe.check("rule tester with a result")
    english(page)
    axe.check("register entry in English", "/ui/pages/1001")
    axe.check("policy in English", "/ui/pages/1001/policy")
    axe.assert_clean()


def test_an_auditors_views(live_server, db, page, settings):
    review_data(db, settings)
    preset(db, {"level": "medium", "custom": [
        {"name": "ortnamn", "category": "defamation", "words": ["knasboll", "dumbom*"]}]},
        actor="info-bertil", note="Första versionen", platform_id=PAGE_A)
    preset(db, {"level": "strong"}, actor="info-bertil", platform_id=PAGE_A)
    axe = Axe(page, live_server)
    browser_login(page, live_server, ui_user(db, "auditor", display_name="Greta Granskare"))
    axe.check("start (auditor)", "/ui/")
    axe.check("review queue (read only)", "/ui/review")
    axe.check("older policy version (read only)", f"/ui/pages/{PAGE_A}/policy?version=1")
    axe.assert_clean()


def test_the_scheduled_duties_views(live_server, db, page, settings):
    from app.alerts.service import raise_alert

    review_data(db, settings)
    with db.transaction() as s:
        raise_alert(s, "subscription", "page:1", "The subscription could not be renewed")
    axe = Axe(page, live_server)
    browser_login(page, live_server, ui_user(db, "information_officer", username="info-ida"))
    axe.check("start with an alert (information officer)", "/ui/")
    for name, url in (("operations", "/ui/jobs"), ("questions", "/ui/questions"),
                      ("daily digest", "/ui/digest"), ("snapshots", "/ui/snapshots"),
                      ("yearly report", "/ui/reports"), ("retention", "/ui/retention")):
        axe.check(name, url)
    english(page)
    axe.check("operations in English", "/ui/jobs")
    axe.check("yearly report in English", "/ui/reports")
    axe.assert_clean()


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  // What the ring is drawn on: the first painted background just outside the element.
  let behind = 'rgb(255, 255, 255)';
  for (const under of document.elementsFromPoint(Math.max(0, box.left - 4),
                                                 box.top + box.height / 2)) {
    if (under === el || el.contains(under)) continue;
    const colour = getComputedStyle(under).backgroundColor;
    if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { behind = colour; break; }
  }
  return {html: el.outerHTML.slice(0, 100), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), colour: style.outlineColor, behind};
}"""


def luminance(css: str) -> float:
    """The relative luminance of an rgb()/rgba() colour (WCAG 2.1)."""
    red, green, blue = (int(float(c)) / 255 for c in re.findall(r"[\d.]+", css)[:3])
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
              for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_computed_as_wcag_does():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(245, 158, 11)", "rgb(255, 255, 255)"), 2) == 2.15
    assert contrast("rgb(11, 83, 148)", "rgba(253, 232, 232, 1)") > 4.5


def test_the_review_queue_by_keyboard(live_server, db, page, settings):
    """From the top, Tab reaches the skip link first and it moves focus to the main
    content; Tab then reaches every button, link, field and disclosure of the queue,
    each with a visible focus ring that contrasts 3:1 with what it is drawn on."""
    review_data(db, settings)
    browser_login(page, live_server, ui_user(db, "moderator", unit=UNIT_A, username="moa"))
    page.goto(f"{live_server}/ui/review")
    assert page.evaluate("[...document.querySelectorAll('[tabindex]')]"
                         ".filter(e => e.tabIndex > 0).length") == 0
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUS_STYLE)
    assert 'class="skip"' in skip["html"] and 'href="#main"' in skip["html"]
    assert page.get_by_role("link", name="Hoppa till innehållet").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.evaluate("""() => { window.reached = new Set();
      document.addEventListener('focusin', e => window.reached.add(e.target)); }""")
    rings = [skip]
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        rings.append(page.evaluate(FOCUS_STYLE))
    else:
        raise AssertionError("Tab never left the page")
    missed = page.evaluate("""() => [...document.querySelectorAll(
        'main button, main a[href], main input:not([type=hidden]), main select,'
        + ' main textarea, main summary')]
      .filter(e => e.checkVisibility() && !window.reached.has(e))
      .map(e => e.outerHTML.slice(0, 120))""")
    assert missed == []
    # The rows' action buttons: two to four choices for each of the four comments.
    assert page.evaluate("""() => [...document.querySelectorAll('main .actions button')]
      .filter(b => window.reached.has(b)).length""") >= 8
    weak = [ring for ring in rings
            if ring["style"] == "none" or ring["width"] < 2
            or contrast(ring["colour"], ring["behind"]) < 3]
    assert weak == [], "focus rings that are hard to see:\n" + "\n".join(map(str, weak))
    # The look: marked words in bold, and the focus ring on a row's first button.
    page.locator(f"#rad-{PAGE_A}_77_1").get_by_role("button", name="Återställ").focus()
    screenshot(page, "60-accessibility-review-queue")
