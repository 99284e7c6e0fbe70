"""English sentences for reason codes, written as `_("...")` calls so pybabel can extract them."""

from __future__ import annotations

from collections.abc import Callable

from eventnet.matching.model import Reason


def _identity(message: str) -> str:
    return message


def describe(reason: Reason, _: Callable[[str], str] = _identity) -> str:
    """Render a reason as a sentence, translated by `_` (gettext); unknown codes give the code."""
    p = reason.params
    code = reason.code
    if code == "mutual_scan":
        text = _("You scanned each other's badges")
    elif code == "repeated":
        text = _("You met %(count)s times at this event")
    elif code == "met_before":
        text = _("You also met at %(events)s")
    elif code == "note":
        text = _("You wrote a note about %(name)s")
    elif code == "tag":
        text = _("You tagged %(name)s: %(tags)s")
    elif code == "you_can_help":
        text = _("You can help %(name)s with %(ask)s (you offer %(offer)s)")
    elif code == "they_can_help":
        text = _("%(name)s can help with %(ask)s (they offer %(offer)s)")
    elif code == "complementary":
        text = _("%(name)s can help with %(offer)s, which you are looking for (%(ask)s)")
    elif code == "shared_interests":
        text = _("You share an interest in %(interests)s")
    elif code == "common_contacts":
        text = _("You both talked with %(names)s")
    elif code == "same_conversation":
        text = _("You talked with %(contact)s around the same time as %(name)s")
    elif code == "extended_network":
        text = _("People you met know people who met %(name)s")
    elif code == "other_field":
        text = _("%(name)s works in another field (%(field)s) than the people you met")
    elif code == "well_connected":
        text = _("%(name)s met %(count)s people at this event")
    else:
        return code
    try:
        return text % p
    except (KeyError, ValueError, TypeError):
        return text


def describe_all(reasons: list[Reason], _: Callable[[str], str] = _identity) -> list[str]:
    """Render several reasons, in order."""
    return [describe(r, _) for r in reasons]
