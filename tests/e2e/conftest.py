"""Real-browser tests: Playwright drives a phone-sized headless Chromium against the live server.

They need the `playwright` package (requirements/dev.txt) and a Chromium on the machine (Debian's
`apt-get install chromium`, or CHROMIUM=/path/to/chrome); without one they are skipped with the reason.
Playwright's own browser downloads are not used.

Every main screen is saved under reports/screenshots/ and checked by `check_phone_page`: no sideways
scrolling, tap targets at least 44 px high, and no serious or critical axe-core violation.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from game import codes

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "reports" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# The polling script waits 5 s ± 20 %: a page catches up within two polls, six on a busy machine.
POLL_TIMEOUT = 30_000

# Without the background-networking flags Chromium opens connections of its own, and this sandboxed
# machine refuses them many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium():
    candidates = [os.environ.get("CHROMIUM", "")]
    candidates += [shutil.which(name) or "" for name in ("chromium", "chromium-browser", "google-chrome")]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium, or set CHROMIUM=/path/to/chromium")
    sync_api.expect.set_options(timeout=POLL_TIMEOUT)
    # Playwright's sync API keeps an event loop in the main thread, and Django refuses ORM calls from
    # a thread with a running loop; the tests set up and check the database between browser calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            # Playwright gives each launch a fresh, temporary profile.
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def phone(browser, live_server):
    """Opens a phone-sized browser context on the live server: phone(locale="en", javascript=False)."""
    contexts = []

    def open_context(*, accept_language="fr-FR,fr", javascript=True):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=javascript,
            extra_http_headers={"Accept-Language": accept_language},
        )
        context.set_default_timeout(POLL_TIMEOUT)
        contexts.append(context)
        return context.new_page()

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def players(transactional_db, cast):
    """The cast (tests/conftest.py) in hunting order, committed so the live server sees it."""
    return [cast.killer, cast.victim, cast.bystander, cast.hunter]


def log_in(page, player):
    page.goto("/")
    page.fill("#code", codes.display(player.login_code))
    page.click("form[action='/'] button")
    page.wait_for_url("**/me/")
    return page


def mark(page):
    """Sets a marker on the window: it survives the polling script's updates, not a navigation."""
    page.evaluate("window.e2eMarker = 'no reload'")


def assert_not_reloaded(page):
    assert page.evaluate("window.e2eMarker") == "no reload", "the page was reloaded"


# --- Checks of a phone screen -----------------------------------------------------------------------

TOO_SMALL_TO_TAP = """() => {
  const targets = document.querySelectorAll(
    "button, input:not([type=hidden]), select, textarea, nav a, footer a, a.button");
  return Array.from(targets)
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => ({html: el.outerHTML.slice(0, 120), height: el.getBoundingClientRect().height}))
    .filter((target) => target.height < 44);
}"""

AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
  }));
}"""


def check_phone_page(page, name, *, accessibility=True):
    """Saves a screenshot of the page and checks it reads and works on a 390 px wide phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px"
    assert page.evaluate(TOO_SMALL_TO_TAP) == [], f"{name}: tap targets under 44 px high"
    if accessibility:
        serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name}: axe-core finds {serious}"


def axe_violations(page):
    if not AXE.exists():
        pytest.skip(f"axe-core is missing: {AXE}")
    # Evaluated rather than added as a <script>: a Content-Security-Policy would refuse an inline script.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate(AXE_RUN)
