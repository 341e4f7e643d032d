"""Printable login cards: each player's name, login code and a QR code of their login link."""

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from game import codes


def login_path(player):
    """/login/#CODE: the code after the #, which a browser never sends, so that no access log and no
    request line holds it; login.js takes it out of the browser's history too."""
    return reverse("login") + "#" + player.login_code


def login_url(request, player):
    """The whole login link: on SITE_URL, the address players reach, else on the address of the game
    master's request (and the cards page warns: printed from 127.0.0.1, no phone can use it)."""
    if settings.SITE_URL:
        return settings.SITE_URL + login_path(player)
    return request.build_absolute_uri(login_path(player))


def card(player, *, login_link):
    """What one card shows; the QR code is inline SVG, so a page of cards prints without images."""
    qr = segno.make(login_link, error="m")
    return {
        "player": player,
        "code": codes.display(player.login_code),
        "link": login_link,
        # segno writes the SVG from the link alone: nothing in it comes from a user as markup.
        "qr_svg": mark_safe(qr.svg_inline(omitsize=True)),  # noqa: S308
    }
