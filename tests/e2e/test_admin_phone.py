"""The game pages of the admin on a game master's phone, and the tool buttons on a desktop.

A game master walks around the venue with the admin open on a phone: every game page fits 390 px
(no sideways scrolling), every control in the page's content is at least 44 × 44 px, axe-core finds
nothing serious, and the lists show the columns that matter without scrolling the table.
"""

import pytest
from django.urls import reverse

from game import rules
from tests.conftest import build_cast
from tests.e2e.conftest import PHONE, SCREENSHOTS, axe_violations

DESKTOP = {"width": 1280, "height": 800}

# Every control in the page's content (<main>, or the whole of a page outside the admin's frame); a
# link inside a sentence is the one exception: a paragraph's text cannot be 44 px high, and its link
# is not a control of its own.
SMALL_TARGETS = """() => {
  const root = document.querySelector("main") || document.body;
  const controls = root.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  return Array.from(controls)
    .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")
    .filter((el) => !(el.tagName === "A" && el.closest("p")))
    .map((el) => ({html: el.outerHTML.slice(0, 100), box: el.getBoundingClientRect()}))
    .filter((c) => c.box.width < 44 || c.box.height < 44)
    .map((c) => `${c.html} is ${Math.round(c.box.width)}×${Math.round(c.box.height)}`);
}"""

# The right edge of each element, in CSS pixels, or null when there is none.
RIGHT_EDGES = """(selectors) => selectors.map((selector) => {
  const el = document.querySelector(selector);
  return el ? el.getBoundingClientRect().right : null;
})"""


@pytest.fixture
def night(transactional_db, game_master):
    """A game under way, committed for the live server: one kill confirmed, one disputed, one waiting
    for its victim, and a dead player to revive."""
    cast = build_cast(players=6)
    dead = cast.bystander.target
    rules.death_report(victim=dead, actor="test")
    disputed = rules.kill_declare(killer=cast.killer, actor="test")
    rules.kill_deny(kill=disputed, actor="test")
    cast.bystander.refresh_from_db()
    pending = rules.kill_declare(killer=cast.bystander, actor="test")
    cast.dead, cast.disputed, cast.pending = dead, disputed, pending
    return cast


def pages(night):
    game, killer = night.game, night.killer
    return {
        "game-list": reverse("admin:game_game_changelist"),
        "game-change": reverse("admin:game_game_change", args=[game.pk]),
        "game-dashboard": reverse("admin:game_game_dashboard", args=[game.pk]),
        "game-chain": reverse("admin:game_game_chain", args=[game.pk]),
        "game-cards": reverse("admin:game_game_cards", args=[game.pk]),
        "game-import": reverse("admin:game_game_import", args=[game.pk]),
        "game-finish": reverse("admin:game_game_action", args=[game.pk, "finish"]),
        "game-options": reverse("admin:game_game_options", args=[game.pk]),
        "player-list": reverse("admin:game_player_changelist") + f"?game__id__exact={game.pk}",
        "player-change": reverse("admin:game_player_change", args=[killer.pk]),
        "player-revive": reverse("admin:game_player_revive", args=[night.dead.pk]),
        "player-new-codes": reverse("admin:game_player_new_codes", args=[killer.pk]),
        "kill-list": reverse("admin:game_kill_changelist"),
        "kill-change": reverse("admin:game_kill_change", args=[night.disputed.pk]),
        "kill-confirm": reverse("admin:game_kill_confirm", args=[night.disputed.pk]),
        "kill-reject": reverse("admin:game_kill_reject", args=[night.disputed.pk]),
    }


def admin_page(browser, live_server, viewport, *, accept_language="en"):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        device_scale_factor=2 if viewport == PHONE else 1,
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
        extra_http_headers={"Accept-Language": accept_language},
    )
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", "gm")
    page.fill("#id_password", "gm-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


@pytest.fixture
def gm_phone(browser, live_server, night):
    page = admin_page(browser, live_server, PHONE)
    yield page
    page.context.close()


@pytest.mark.parametrize(
    "name",
    [
        "game-list",
        "game-change",
        "game-dashboard",
        "game-chain",
        "game-cards",
        "game-import",
        "game-finish",
        "game-options",
        "player-list",
        "player-change",
        "player-revive",
        "player-new-codes",
        "kill-list",
        "kill-change",
        "kill-confirm",
        "kill-reject",
    ],
)
def test_the_admins_game_pages_work_on_a_phone(gm_phone, night, name):
    page = gm_phone
    response = page.goto(pages(night)[name])
    assert response.status == 200
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"admin-phone-{name}.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide"
    assert page.evaluate(SMALL_TARGETS) == [], f"{name}: controls under 44 × 44 px"
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: axe-core finds {serious}"


def test_the_import_preview_works_on_a_phone(gm_phone, night, tmp_path):
    page = gm_phone
    upload = tmp_path / "players.csv"
    upload.write_text(
        "name,email,group\nAlexandrine Delacroix-Montmorency,alexandrine.delacroix-montmorency@example.org,"
        "Terminale S2\nBo,not-an-address,1A\n",
        encoding="utf-8",
    )
    page.goto(pages(night)["game-import"])
    page.set_input_files("input[type=file]", upload)
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("The file has errors").wait_for()
    page.screenshot(path=SCREENSHOTS / "admin-phone-game-import-preview.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the preview is {width} px wide"
    assert page.evaluate(SMALL_TARGETS) == []


def test_the_game_list_shows_the_dashboard_link_on_a_phone(gm_phone, night):
    page = gm_phone
    page.goto(pages(night)["game-list"])
    [right] = page.evaluate(RIGHT_EDGES, ["#result_list td.field-dashboard_link a"])
    assert right is not None and right <= PHONE["width"]


def test_the_player_list_shows_alive_target_and_mission_on_a_phone(gm_phone, night):
    gm_phone.goto(pages(night)["player-list"])
    columns = ["field-name", "field-alive", "field-target", "field-mission_text"]
    assert columns_off_screen(gm_phone, columns) == []


def test_the_kill_list_shows_killer_victim_and_status_on_a_phone(gm_phone, night):
    gm_phone.goto(pages(night)["kill-list"])
    columns = ["field-created_at", "field-killer", "field-victim", "field-status"]
    assert columns_off_screen(gm_phone, columns) == []


def columns_off_screen(page, columns):
    """The columns of the list's first row that are missing or end past the phone's right edge."""
    rights = page.evaluate(
        RIGHT_EDGES, [f"#result_list tbody tr:first-child .{column}" for column in columns]
    )
    return [
        f"{column} ends at {right}"
        for column, right in zip(columns, rights, strict=True)
        if right is None or right > PHONE["width"]
    ]


def test_confirm_and_reject_of_a_disputed_kill_do_not_overlap_on_a_phone(gm_phone, night):
    page = gm_phone
    page.goto(pages(night)["game-dashboard"])
    row = page.locator("tr", has=page.get_by_role("link", name="Confirm")).first
    confirm = row.get_by_role("link", name="Confirm").bounding_box()
    reject = row.get_by_role("link", name="Reject").bounding_box()
    assert not overlap(confirm, reject), (confirm, reject)


@pytest.mark.parametrize("name", ["game-dashboard", "game-chain"])
def test_the_tool_buttons_do_not_cover_the_title_on_a_desktop(browser, live_server, night, name):
    page = admin_page(browser, live_server, DESKTOP)
    try:
        page.goto(pages(night)[name])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"admin-desktop-{name}.png")
        # The title's text, not its block: the heading spans the whole width whatever its length.
        title = page.evaluate(
            """() => { const range = document.createRange();
            range.selectNodeContents(document.querySelector("#content h1"));
            const r = range.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height}; }"""
        )
        tools = page.locator("#content .object-tools").bounding_box()
        assert title["width"] > 0 and tools is not None
        assert not overlap(title, tools), (title, tools)
    finally:
        page.context.close()


def overlap(a, b):
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
