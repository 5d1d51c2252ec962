"""Open the built book in headless Chromium, as a reader would, with the network off.

For every page of the table of contents: the math is typeset by the locally served
MathJax (no raw ``$$`` or ``\\[`` left), every image has loaded, the console shows
no errors, and no request leaves the machine (any attempt is blocked and reported).
Screenshots go to ``_build/screenshots``.

Needs ``make book`` first and Debian's Chromium (``apt-get install chromium``). On a
machine without Chromium the tests skip, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.browser_support import chromium, is_local, unavailable

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return pages


PAGES = _toc_pages()


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        unavailable(f"no built book in {SITE}: run `make book` first")
    return SITE


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *args: None  # keep pytest output clean
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders_offline(browser: object, server: str, page_name: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(route: object) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    response = page.goto(f"{server}/{page_name}.html", wait_until="load")
    assert response is not None and response.ok, f"{page_name}: HTTP {response and response.status}"
    has_math = page.evaluate("() => document.querySelector('.math') !== null")
    if has_math:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.document"
            " && document.querySelectorAll('mjx-container').length > 0",
            timeout=30_000,
        )
        page.evaluate("() => MathJax.startup.promise")
    typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    # Wait for what the checks below read: every image decoded and every web font loaded.
    # (Not "networkidle": Playwright's network-idle state was never reached on the API
    # page on one machine, although no request was pending; it depends on the browser's
    # connection bookkeeping, not on the page.)
    page.wait_for_function(
        "() => Array.from(document.images).every(img => img.complete)", timeout=30_000
    )
    page.evaluate("() => document.fonts.ready.then(() => true)")

    prose = page.evaluate(
        """() => {
            const main = document.querySelector('main') || document.body;
            const copy = main.cloneNode(true);
            copy.querySelectorAll('pre, code, script, style, mjx-container, .highlight')
                .forEach(node => node.remove());
            return copy.innerText;
        }"""
    )
    broken_images = page.evaluate(
        """() => Array.from(document.images)
            .filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.getAttribute('src'))"""
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{page_name.replace('/', '_')}.png"), full_page=True)
    context.close()

    assert not blocked, f"{page_name}: requests tried to leave the machine: {blocked}"
    assert not errors, f"{page_name}: console errors: {errors}"
    assert not broken_images, f"{page_name}: images that did not load: {broken_images}"
    for raw in ("$$", "\\[", "\\(", "\\begin{"):
        assert raw not in prose, f"{page_name}: raw TeX {raw!r} left untypeset in the page text"
    assert typeset > 0 or not has_math, f"{page_name}: math present but nothing typeset"


def test_notebook_pages_offer_executed_ipynb(site: Path) -> None:
    """Each notebook page links to its .ipynb, and that file carries the executed outputs."""
    nbformat = pytest.importorskip("nbformat")
    notebooks = [
        name
        for name in PAGES
        if "kernelspec:" in (ROOT / f"{name}.md").read_text(encoding="utf-8")[:1000]
    ]
    assert notebooks, "no notebook pages in the table of contents"
    for name in notebooks:
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        assert "download-notebook-button" in html, f"{name}: no .ipynb download button"
        notebook = nbformat.read(site / "_sources" / f"{name}.ipynb", as_version=4)
        outputs = sum(len(cell.get("outputs", [])) for cell in notebook.cells)
        assert outputs > 0, f"{name}: the downloadable notebook has no outputs"
