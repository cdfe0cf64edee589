"""The web app in a real browser (Debian's chromium through Playwright; `.ci/run` installs it):
what a reader sees, clicks and tabs through. Screenshots of every page go to out/screenshots/."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import VTV, hostile_web_store

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium (`.ci/run` installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path) -> Iterator[str]:
    port = _free_port()
    start = "from nienbieu.cli import main; main()"
    command = [sys.executable, "-c", start, "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/api/stories", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def site(mixed_store: Path) -> Iterator[str]:
    yield from _serve(mixed_store)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    db, article_id = hostile_web_store(tmp_path_factory.mktemp("browser"))
    for base in _serve(db):
        yield base, article_id


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_seeds_story_timeline_shows_every_date_and_citation(site, page):
    story = next(s for s in json.load(urllib.request.urlopen(f"{site}/api/stories")) if "NATO" in s["label"])
    found = json.load(urllib.request.urlopen(f"{site}/api/timeline?story={story['id']}"))["timeline"]
    page.goto(f"{site}/timeline?story={story['id']}")
    _shot(page, "timeline")
    shown = [e["label"] + (" dự kiến" if e["planned"] else "") for e in found]
    assert page.locator(".entry .date").all_inner_texts() == shown
    cited = [c for e in found for c in e["citations"]]
    hrefs = page.locator(".entry li a.cite").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [f"/articles/{c['article_id']}#s{c['sentence_index']}" for c in cited]


def test_a_citation_opens_the_article_at_its_sentence(site, page):
    page.goto(f"{site}/timeline?query=NATO")
    link = page.locator(".entry li a.cite").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")
    sentence = page.locator(f"#{href.split('#')[1]}")
    assert sentence.is_visible()
    assert sentence.evaluate("s => s.matches(':target') && document.activeElement === s")
    _shot(page, "article")


def test_search_without_diacritics_finds_the_entity(site, page):
    page.goto(site)
    _shot(page, "stories")
    page.fill("#q", "stoltenberg")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=stoltenberg")
    assert page.locator(".hits mark").first.inner_text().lower() == "stoltenberg"
    _shot(page, "search")
    page.goto(f"{site}/entities/Stoltenberg")
    assert page.locator("h1").inner_text() == "Jens Stoltenberg"
    _shot(page, "entity")


def test_hostile_article_text_executes_nothing(hostile_site, page):
    base, article_id = hostile_site
    for path in ("/", "/timeline", "/brief", f"/articles/{article_id}", "/search?q=an"):
        page.goto(base + path)
        assert page.evaluate("() => window.pwned") is None, path
    assert page.locator("a[href^='javascript:']").count() == 0
    assert "<script>" in page.locator(".hits").inner_text() or page.locator(".hits li").count() >= 1
    page.goto(f"{base}/articles/{article_id}")
    assert page.locator("h1").inner_text() == "<b>Tít</b>"
    _shot(page, "hostile-article")


def test_the_keyboard_reaches_every_link(site, page):
    page.goto(f"{site}/timeline?query=NATO")
    links = page.locator("a[href]").count()
    reached = set()
    for _ in range(links + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)"))
    anchors = page.locator("a[href]").evaluate_all("links => links.map(a => a.outerHTML.slice(0, 200))")
    assert set(anchors) <= reached


def test_the_brief_page_renders_with_sources(site, page):
    page.goto(f"{site}/brief?query=NATO")
    assert page.locator(".brief a.cite").count() >= 1
    _shot(page, "brief")
    page.goto(f"{site}/articles/{VTV}")
    assert page.locator(".text .ent").count() > 0


def test_the_timelinejs_view_shows_the_same_dates(site, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    found = json.load(urllib.request.urlopen(f"{site}/api/timeline?query=NATO"))["timeline"]
    page.goto(f"{site}/timeline/visual?query=NATO")
    page.wait_for_selector(".tl-timemarker", state="attached", timeout=15000)
    page.wait_for_timeout(1500)
    _shot(page, "timelinejs")
    shown = page.locator(".tl-timemarker").count()
    assert shown == len(found)
    assert not [e for e in errors if "Content Security Policy" in e], errors
