"""A report page opened in a real headless browser: Debian's Chromium driven by Playwright (`.ci/run` installs
both; Playwright's own browsers cannot be downloaded here)."""
import shutil
from dataclasses import dataclass

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: as this machine needs them: no sandbox as root, and no background connections (the network is closed)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Page:
    """What the browser rendered."""
    text: str  # the page's visible text
    headings: list  # the h2 texts, in order
    tables: int  # rendered <table> elements
    images: list  # each image's natural width in pixels (0: it did not decode)
    errors: list  # console errors and page errors
    requests: list  # URLs other than the page itself and data: URLs (a self-contained page asks for none)


def render(path, screenshot=None):
    """Open ``path`` (an HTML file) in headless Chromium; optionally save a screenshot of the first screen."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "no chromium on PATH: .ci/run installs Debian's chromium (apt-get install chromium)"
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("data:", "file:")) else None)
            page.goto(path.resolve().as_uri(), wait_until="load")
            if screenshot:
                page.screenshot(path=str(screenshot))
            return Page(page.inner_text("body"), page.eval_on_selector_all("h2", "hs => hs.map(h => h.innerText)"),
                        page.locator("table").count(),
                        page.eval_on_selector_all("img", "is => is.map(i => i.complete ? i.naturalWidth : 0)"),
                        errors, requests)
        finally:
            browser.close()
