"""A player's own timeline, as text: the Notice rows the rules record (rules._notify), written in the
reader's language when they read them, with the names and reasons as they are then."""

from django.utils.translation import gettext as _

from game.models import Notice

# How many of the newest notices /api/me and the dashboard carry; the notices page shows PAGE_LENGTH.
LATEST = 5
PAGE_LENGTH = 200


def latest(player, length=LATEST):
    notices = player.notices.select_related("game", "kill__killer", "kill__victim")[:length]
    return [{"id": n.pk, "kind": n.kind, "at": n.created_at, "text": text(n)} for n in notices]


def text(notice):
    kill = notice.kill
    names = {"killer": kill.killer.name, "victim": kill.victim.name, "reason": kill.reason}
    match notice.kind:
        case Notice.Kind.CLAIM_ON_YOU:
            return _("%(killer)s says they completed their mission on you: confirm or deny it.") % names
        case Notice.Kind.CLAIM_CONFIRMED:
            return _("Your kill on %(victim)s is confirmed.") % names
        case Notice.Kind.CLAIM_DENIED:
            return _("%(victim)s denied your kill: a game master will settle it.") % names
        case Notice.Kind.CLAIM_REJECTED if kill.reason:
            return _("A game master rejected your kill on %(victim)s: %(reason)s") % names
        case Notice.Kind.CLAIM_REJECTED:  # the reason was erased with the players' personal data
            return _("A game master rejected your kill on %(victim)s.") % names
        case Notice.Kind.CLAIM_UNDONE if kill.reason:
            return _("A game master took back your kill on %(victim)s: %(reason)s") % names
        case Notice.Kind.CLAIM_UNDONE:
            return _("A game master took back your kill on %(victim)s.") % names
        # A game that keeps killers secret keeps them secret from their victims too: the victim's
        # hunter lives on, and their name would tell who now hunts the victim's target.
        case Notice.Kind.ELIMINATED if notice.game.feed_names_killers:
            return _("You were eliminated by %(killer)s.") % names
        case Notice.Kind.ELIMINATED:
            return _("You were eliminated.")
        case Notice.Kind.NEW_TARGET:
            return _("You have a new target: the one %(victim)s hunted.") % names
    raise ValueError(notice.kind)
