"""English sentences for reason codes, written as `_("...")` and `ngettext(...)` calls so that
pybabel extracts them; `describe` fills them in the reader's language (typography.fill).

Phrases the attendees typed (offers, asks) are quoted, so that "Code review" reads as their
words in the middle of a sentence; lists (interests, names) are not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from eventnet.matching.model import Reason
from eventnet.matching.typography import fill

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def untranslated(message: str) -> str:
    """The default ``_`` of the sentence builders: the English text as it is."""
    return message


def english_plural(singular: str, plural: str, n: int) -> str:
    """The default ``ngettext`` of the sentence builders: English's two forms."""
    return singular if n == 1 else plural


def _count(params: Mapping[str, str], key: str) -> int:
    try:
        return int(params.get(key, "0"))
    except ValueError:
        return 0


def describe(
    reason: Reason,
    _: Gettext = untranslated,
    ngettext: Ngettext = english_plural,
    language: str = "en",
) -> str:
    """Render a reason as a sentence in `language`, translated by `_` (gettext) and `ngettext`.

    Both callables return the translated template unformatted (gettext.Translations does);
    `describe` fills it. Unknown codes give the code; missing parameters, the template.
    """
    p: dict[str, object] = dict(reason.params)
    code = reason.code
    if code == "mutual_scan":
        text = _("You scanned each other's badges")
    elif code == "repeated":
        # The count is of scans, both sides together: "met 3 times" would overstate it.
        p["num"] = n = _count(reason.params, "count")
        text = ngettext("%(num)d scan between you at this event",
                        "%(num)d scans between you at this event", n)
    elif code == "met_before":
        text = _("You also met at %(events)s")
    elif code == "note":
        text = _("You wrote a note about %(name)s")
    elif code == "tag":
        text = _("You tagged %(name)s: %(tags)s")
    elif code == "you_can_help":
        text = _("%(name)s is looking for “%(ask)s”; you offer “%(offer)s”")
    elif code in ("they_can_help", "complementary"):
        text = _("You are looking for “%(ask)s”; %(name)s offers “%(offer)s”")
    elif code == "shared_ask":
        text = _("You and %(name)s are both looking for “%(ask)s”")
    elif code == "shared_interests":
        text = _("Interests you share: %(interests)s")
    elif code == "common_contacts":
        p["num"] = more = _count(reason.params, "more")
        if more > 0:
            text = ngettext("You both talked with %(names)s and %(num)d other person",
                            "You both talked with %(names)s and %(num)d other people", more)
        else:
            text = _("You both talked with %(names)s")
    elif code == "same_conversation":
        text = _("You and %(name)s were talking with %(contact)s at about the same time")
    elif code == "extended_network":
        text = _("People you met know people who met %(name)s")
    elif code == "other_field":
        if reason.params.get("title") or "company" not in reason.params:
            p.setdefault("title", reason.params.get("field", ""))
            text = _("%(name)s works as %(title)s, unlike the people you met")
        else:
            text = _("%(name)s works at %(company)s, unlike the people you met")
    elif code == "well_connected":
        p["num"] = n = _count(reason.params, "count")
        text = ngettext("%(name)s met %(num)d person at this event",
                        "%(name)s met %(num)d people at this event", n)
    else:
        return code
    return fill(text, p, language)


def describe_all(
    reasons: list[Reason],
    _: Gettext = untranslated,
    ngettext: Ngettext = english_plural,
    language: str = "en",
) -> list[str]:
    """Render several reasons, in order."""
    return [describe(r, _, ngettext, language) for r in reasons]
