"""French, as game masters and players read it: no English left on their pages, French spacing before
":", "?", "!" and ";", sentences that read right whoever the player is, counts that read naturally,
and one register ("vous")."""

import gettext
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.text import capfirst

from game import rules
from game.management.commands import seed_demo
from game.models import Event, Game, Kill, Player
from sheets_sync.models import GameSheet
from tests.conftest import chain_from, login

pytestmark = pytest.mark.django_db

DJANGO_LOCALE = Path(django.__file__).parent / "conf" / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
ADMIN_LOCALE = (
    Path(django.__file__).parent / "contrib" / "admin" / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
)
OUR_LOCALE = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
# Names that stay English in French: the columns of the players' CSV file and the tabs of the sheet.
CODES = {"name", "email", "group", "Players", "Kills", "Missions"}
SAME_IN_FRENCH = {"mission"}
# A masculine form that agrees with the player it is about: "X a été éliminé", "je suis mort", "si vous
# êtes éliminé". (A feminine one agrees with "la victime", "la cible": those read right.)
AGREEING = re.compile(r"\b(suis|es|est|êtes|été|sont|étiez|était)\s+(éliminés?|morts?)\b")
# French puts a (non-breaking) space before these; English does not.
TIGHT_PUNCTUATION = re.compile(r"[^\W\d_][:;?!](?=\s|$)")


class VisibleText(HTMLParser):
    """What a reader meets on a page: its text, and the words of its buttons, titles and labels.

    Left out: what is marked as in another language (the "English" button), and the event log's
    `data` column, which shows the stored data, keys included, as it is."""

    SKIPPED = {"script", "style"}
    VOID = {"input", "br", "img", "meta", "link", "hr", "col", "area", "base", "source", "wbr"}
    SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self):
        super().__init__()
        self.parts = []
        self.stack = []
        self.page_lang = None

    def hidden(self):
        return any(
            tag in self.SKIPPED or "field-data" in classes or not lang.startswith("fr")
            for tag, classes, lang in self.stack
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # Django's admin/search_form.html writes its magnifier's alt="Search" untranslated.
        if "/admin/img/search" in (attrs.get("src") or ""):
            attrs.pop("alt")
        if tag == "html":
            self.page_lang = attrs.get("lang")
        lang = attrs.get("lang") or (self.stack[-1][2] if self.stack else "fr")
        if not self.hidden() and lang.startswith("fr"):
            self.parts += [attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("class") or "", lang))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.hidden() and data.strip():
            self.parts.append(data)

    @classmethod
    def of(cls, html):
        parser = cls()
        parser.feed(html)
        # Else the text of an English page would be left out as a whole, and pass.
        assert parser.page_lang == "fr", html[:300]
        return "\n".join(" ".join(part.split()) for part in parser.parts)


def english_strings(mo_path):
    """Regexes of the English strings of a catalogue that French shows otherwise: the literal text of
    each msgid (placeholders and tags taken out), of four letters or more."""
    with Path(mo_path).open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    found = {}
    for key, translated in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        # A msgid with a context ("Killer", the player) may be the English of another kept as it is
        # ("Killer", the game's name): tests of its own check where it shows.
        if not msgid or translated == msgid or msgid in CODES or "\x04" in msgid:
            continue
        text = re.sub(r"<[^>]+>", "", msgid)
        pieces = re.split(r"%\(\w+\)[sd]|\{\{[^}]*\}\}", text)
        if sum(len(re.sub(r"\W", "", piece)) for piece in pieces) < 4:
            continue
        pattern = r".{0,200}?".join(re.escape(piece) for piece in pieces)
        found[msgid] = re.compile(r"(?<!\w)" + pattern + r"(?!\w)")
    return found


@pytest.fixture(scope="module")
def english():
    """Our msgids, and those of Django and its admin, whose French differs."""
    return english_strings(DJANGO_LOCALE) | english_strings(ADMIN_LOCALE) | english_strings(OUR_LOCALE)


def english_in(text, english):
    return sorted(msgid for msgid, pattern in english.items() if pattern.search(text))


def fr_client():
    return Client(HTTP_ACCEPT_LANGUAGE="fr")


@pytest.fixture
def played(db, game_master):
    """The demo game (French names and missions) a while into the game night, along its chain p0 → p1 → …:
    p0 killed p1 (declared, confirmed) and p2 (p2's own report); p3 waits for p4 to confirm; p6 denied
    p5's kill; p7 dropped out. It has a Google Sheet that synced once with a warning."""
    call_command("seed_demo", players=10, start=True, stdout=StringIO())
    game = Game.objects.get()
    p = chain_from(game.players.order_by("pk").first())
    rules.kill_confirm(kill=rules.kill_declare(killer=p[0], actor="test"), actor="test")
    rules.death_report(victim=p[2], actor="test")
    rules.kill_declare(killer=p[3], actor="test")
    rules.kill_deny(kill=rules.kill_declare(killer=p[5], actor="test"), actor="test")
    rules.player_drop_out(player=p[7], actor="test")
    now = timezone.now()
    GameSheet.objects.create(
        game=game,
        spreadsheet_key="1AbCdEfGhIjKlMnOpQrStUvWxYz",
        last_run_at=now,
        last_success_at=now,
        last_duration=1.5,
        calls=4,
        rows_created=10,
        rows_updated=2,
        warnings=["Players ligne 3 : ni id ni nom ; ligne laissée telle quelle."],
    )
    game.refresh_from_db()
    return game, [Player.objects.get(pk=player.pk) for player in p]


def gm_pages(game, players):
    p = players
    confirmed = Kill.objects.filter(status=Kill.Status.CONFIRMED).first()
    pending = Kill.objects.get(status=Kill.Status.PENDING)
    denied = Kill.objects.get(status=Kill.Status.DENIED)
    event = Event.objects.filter(kind="kill_confirmed").first()
    sheet = GameSheet.objects.get()
    mission = game.missions.first()
    g = f"/admin/game/game/{game.pk}"
    return [
        "/admin/",
        "/admin/game/",
        "/admin/game/game/",
        "/admin/game/game/add/",
        f"{g}/change/",
        f"{g}/dashboard/",
        f"{g}/chain/",
        f"{g}/options/",
        f"{g}/import/",
        f"{g}/cards/",
        *(f"{g}/do/{action}/" for action in ("start", "pause", "resume", "finish", "reshuffle", "repair")),
        f"{g}/erase/",
        "/admin/game/player/",
        f"/admin/game/player/?game__id__exact={game.pk}",
        "/admin/game/player/add/",
        f"/admin/game/player/{p[0].pk}/change/",
        f"/admin/game/player/{p[1].pk}/change/",
        f"/admin/game/player/{p[7].pk}/change/",
        f"/admin/game/player/{p[0].pk}/force-kill/",
        f"/admin/game/player/{p[0].pk}/drop-out/",
        f"/admin/game/player/{p[0].pk}/new-codes/",
        f"/admin/game/player/{p[1].pk}/revive/",
        f"/admin/game/player/cards/?ids={p[0].pk},{p[1].pk}",
        "/admin/game/mission/",
        f"/admin/game/mission/{mission.pk}/change/",
        "/admin/game/kill/",
        f"/admin/game/kill/{confirmed.pk}/change/",
        f"/admin/game/kill/{pending.pk}/change/",
        f"/admin/game/kill/{denied.pk}/change/",
        f"/admin/game/kill/{pending.pk}/confirm/",
        f"/admin/game/kill/{denied.pk}/reject/",
        f"/admin/game/kill/{confirmed.pk}/undo/",
        "/admin/game/event/",
        f"/admin/game/event/{event.pk}/change/",
        "/admin/sheets_sync/",
        "/admin/sheets_sync/gamesheet/",
        f"/admin/sheets_sync/gamesheet/{sheet.pk}/change/",
    ]


def gm_texts(game, players, game_master):
    """Every game master's page of the played game, in French, as visible text by address."""
    client = fr_client()
    client.force_login(game_master)
    texts = {}
    for url in gm_pages(game, players):
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = VisibleText.of(response.content.decode())
    # The import's preview, with a line in error.
    upload = StringIO("nom,courriel,groupe\nZoé Martin,zoe@example.org,Terminale A\n,pas-une-adresse,\n")
    upload.name = "joueurs.csv"
    response = client.post(f"/admin/game/game/{game.pk}/import/", {"file": upload})
    texts["import preview"] = VisibleText.of(response.content.decode())
    return texts


def player_texts(game, players):
    """Every page a player meets, in each state of the game and of the player, in French."""
    p = players
    texts = {"/ (login)": VisibleText.of(fr_client().get("/").content.decode())}
    texts["/rules/ (anonymous)"] = VisibleText.of(fr_client().get("/rules/").content.decode())
    texts["404"] = VisibleText.of(fr_client().get("/nowhere/").content.decode())

    def pages(label, player, urls=("/me/", "/leaderboard/", "/rules/")):
        client = login(fr_client(), player)
        for url in urls:
            texts[f"{url} ({label})"] = VisibleText.of(client.get(url).content.decode())
        return client

    pages("killer with kills", p[0])
    pages("eliminated", p[1])
    pages("waits for a confirmation, no kills", p[3])
    victim = pages("asked to confirm", p[4])
    pages("kill denied", p[5])
    pages("denied a kill", p[6])
    pages("dropped out", p[7])
    killer = login(fr_client(), p[8])
    texts["declare question"] = VisibleText.of(
        killer.post("/me/declare/", {"target": p[8].target_id}).content.decode()
    )
    texts["death question"] = VisibleText.of(victim.post("/me/death/").content.decode())
    texts["wrong death code"] = VisibleText.of(
        killer.post("/me/death-code/", {"death_code": "NOPE"}, follow=True).content.decode()
    )

    rules.game_pause(game=game, actor="test")
    pages("paused", p[8], urls=("/me/",))
    rules.game_resume(game=game, actor="test")
    rules.game_finish(game=game, actor="test")
    pages("finished", p[0], urls=("/me/", "/leaderboard/", "/results/"))
    pages("finished, no kills", p[9], urls=("/me/",))

    waiting = Game.objects.create(name="Partie de la rentrée")
    newcomer = Player.objects.create(game=waiting, name="Zoé")
    pages("not started", newcomer, urls=("/me/",))
    return texts


def test_no_english_is_left_on_the_game_masters_pages(played, game_master, english):
    game, players = played
    texts = gm_texts(game, players, game_master)
    assert {url: english_in(text, english) for url, text in texts.items() if english_in(text, english)} == {}
    log = texts["/admin/game/event/"]
    assert [kind for kind in Event.Kind.values if kind in log] == []
    with translation.override("fr"):
        assert str(Event.Kind.PLAYER_JOINED.label) in log


def test_no_english_is_left_on_the_players_pages(played, english):
    texts = player_texts(*played)
    assert {url: english_in(text, english) for url, text in texts.items() if english_in(text, english)} == {}


def test_every_field_the_admin_shows_has_a_french_name(played, game_master):
    request = RequestFactory().get("/admin/")
    request.user = game_master
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("game", "sheets_sync"):
            continue
        shown = {*model_admin.list_display, *(f for f in model_admin.list_filter if isinstance(f, str))}
        obj = model.objects.first()
        shown |= {*model_admin.get_fields(request, obj), *model_admin.get_fields(request)}
        for name in shown:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:  # a ModelAdmin method, whose description is a msgid
                continue
            with translation.override("en"):
                english_name = str(field.verbose_name)
            with translation.override("fr"):
                french_name = str(field.verbose_name)
            if french_name == english_name and english_name not in SAME_IN_FRENCH:
                untranslated.append(f"{model.__name__}.{name}: {english_name}")
    assert untranslated == []


def test_every_kind_of_event_the_rules_write_has_a_label():
    source = (settings.BASE_DIR / "game" / "rules.py").read_text()
    written = set(re.findall(r'_event\(\s*game,\s*"(\w+)"', source))
    assert written and written - set(Event.Kind.values) == set()


def test_french_spacing_before_colons_and_question_marks(played, game_master):
    game, players = played
    texts = gm_texts(game, players, game_master) | player_texts(game, players)
    # Django's stacked inline writes "Mission:" in its own template (admin/edit_inline/stacked.html),
    # a colon no translation reaches.
    texts = {url: text.replace("Mission:", "") for url, text in texts.items()}
    tight = {url: TIGHT_PUNCTUATION.findall(text) for url, text in texts.items()}
    assert {url: found for url, found in tight.items() if found} == {}


def test_the_pages_read_right_whoever_the_player_is(played, game_master):
    game, players = played
    texts = gm_texts(game, players, game_master) | player_texts(game, players)
    agreeing = {url: AGREEING.findall(text) for url, text in texts.items()}
    assert {url: found for url, found in agreeing.items() if found} == {}


def test_no_french_message_agrees_with_the_players_gender():
    with OUR_LOCALE.open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    assert sorted(text for text in catalog.values() if AGREEING.search(text)) == []


def test_the_feed_says_who_eliminated_whom_in_the_active_voice(played):
    game, p = played
    page = VisibleText.of(login(fr_client(), p[4]).get("/leaderboard/").content.decode())
    assert f"{p[0].name} a éliminé {p[1].name}" in page
    rules.game_set_options(
        game=game,
        actor="test",
        confirmation_mode=game.confirmation_mode,
        feed_names_killers=False,
        killer_inherits_mission=game.killer_inherits_mission,
    )
    page = VisibleText.of(login(fr_client(), p[4]).get("/leaderboard/").content.decode())
    assert f"{p[1].name} est hors jeu" in page


def test_the_victim_confirms_with_words_anyone_can_say(played):
    _game, p = played
    page = VisibleText.of(login(fr_client(), p[4]).get("/me/").content.decode())
    assert "Êtes-vous hors jeu ?" in page
    assert "Oui, c'est vrai" in page and "Non, c'est faux" in page


def test_counts_read_naturally(played):
    _game, p = played
    alive_without_kills = VisibleText.of(login(fr_client(), p[3]).get("/me/").content.decode())
    assert "Aucune élimination pour l'instant." in alive_without_kills
    out_without_kills = VisibleText.of(login(fr_client(), p[1]).get("/me/").content.decode())
    assert "Vous n'avez fait aucune élimination." in out_without_kills
    assert "0 élimination" not in alive_without_kills + out_without_kills
    with_kills = VisibleText.of(login(fr_client(), p[0]).get("/me/").content.decode())
    assert "2 éliminations à votre actif" in with_kills


def test_one_imported_player_is_one(running_game, gm_client):
    gm_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = gm_client.post(
        f"/admin/game/game/{running_game.pk}/import/", {"csv_text": "name,email,group\nZoé,,\n"}, follow=True
    )
    assert "1 joueur importé." in VisibleText.of(response.content.decode())


def test_undoing_a_kill_and_going_back_are_two_words(played, game_master):
    _game, _players = played
    client = fr_client()
    client.force_login(game_master)
    kill = Kill.objects.filter(status=Kill.Status.CONFIRMED).first()
    change_page = VisibleText.of(client.get(f"/admin/game/kill/{kill.pk}/change/").content.decode())
    assert "Annuler l'élimination" in change_page
    undo_page = VisibleText.of(client.get(f"/admin/game/kill/{kill.pk}/undo/").content.decode())
    assert "Annuler l'élimination" in undo_page and "Revenir" in undo_page
    assert "Annuler" not in undo_page.replace("Annuler l'élimination", "").replace("Annuler cette", "")


def test_the_demo_missions_say_vous_like_the_pages():
    informal = re.compile(r"\b(tu|te|toi|ton|ta|tes|t')\b", re.IGNORECASE)
    assert [mission for mission in seed_demo.MISSIONS if informal.search(mission)] == []
    with OUR_LOCALE.open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    assert sorted(text for text in catalog.values() if informal.search(text)) == []


def test_the_admin_sections_have_french_names():
    with translation.override("fr"):
        names = [capfirst(str(config.verbose_name)) for config in apps.get_app_configs()]
    assert "Killer game" not in names and "Google Sheets sync" not in names


def test_the_kill_queues_name_the_killer_in_french(played, game_master):
    # "Killer" is also the game's name, which French keeps.
    game, _players = played
    client = fr_client()
    client.force_login(game_master)
    html = client.get(f"/admin/game/game/{game.pk}/dashboard/").content.decode()
    headers = re.findall(r"<th[^>]*>\s*([^<]*?)\s*</th>", html)
    assert "Tueur" in headers and "Killer" not in headers
