"""Attendee files from other platforms: decoding, format detection and one parser per format.

Parsing never writes: each parser turns rows into an ``ImportPlan`` (rows to apply, rows
rejected with the reason, rows skipped on purpose such as refunds) that ``services.imports``
shows as a preview and applies all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from eventnet.models import Event
from eventnet.services.errors import Invalid
from eventnet.services.profiles import Profile, split_list, validate_profile

MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: how often a parser reports how far it read (``row_progress``), in rows
PROGRESS_EVERY = 2000
#: while set, the parsers call it with (rows read, data rows in the file) as they go
row_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "eventnet_import_row_progress", default=None)


@dataclass
class RowError:
    """A rejected or skipped row: its line number in the file and why."""

    line: int
    message: str


@dataclass
class ImportRow:
    """One attendee to create or update."""

    line: int
    profile: Profile
    external_ref: str | None = None
    #: when the platform says the person was checked in (Luma)
    checked_in_at: datetime | None = None


@dataclass
class ImportPlan:
    """The parsed file: rows to apply, rejected rows, rows skipped on purpose."""

    format: str
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    #: columns of the file that nothing is read from (custom questions the event lacks...)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Whether the plan can be applied (no rejected row)."""
        return not self.errors


# --- decoding ------------------------------------------------------------------------------

_DELIMITERS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def decode_csv(data: bytes) -> list[list[str]]:
    """Decode a comma-separated UTF-8 file into non-empty rows; raises Invalid with the reason.

    Files in another encoding or with another separator are refused with a message that says
    what was found: guessing would garble names (``Ã©`` for ``é``) without anyone noticing.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(_("The file is too large (20 MB at most)."), code="too_large")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Invalid(_("The file is UTF-16 text (Excel's \"Unicode text\"). Save it as "
                        "\"CSV UTF-8 (comma delimited)\" and upload it again."), code="encoding")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Invalid(
            _("The file is not UTF-8 text: byte %(pos)d (line %(line)d) looks like "
              "Windows-1252 / Latin-1, as Excel writes by default. Save it as "
              "\"CSV UTF-8 (comma delimited)\" and upload it again.",
              pos=exc.start, line=line), code="encoding") from exc
    if "\x00" in text:
        raise Invalid(_("This is not a CSV text file."), code="not_csv")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise Invalid(_("The file is not valid CSV: %(error)s", error=str(exc)),
                      code="not_csv") from exc
    rows = [[cell.strip() for cell in row] for row in rows if any(c.strip() for c in row)]
    if not rows:
        raise Invalid(_("The file is empty."), code="empty")
    header = rows[0]
    if len(header) == 1:
        for sep, name in _DELIMITERS.items():
            if header[0].count(sep) >= 1:
                raise Invalid(
                    _("The columns are separated by %(sep)s, not commas. Export the file "
                      "again as comma-separated CSV (in Excel: \"CSV UTF-8 (comma "
                      "delimited)\").", sep=name), code="delimiter")
    return rows


def _key(name: str) -> str:
    return " ".join(name.strip().lower().split())


def _columns(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        cols.setdefault(_key(name), i)
    return cols


class _Row:
    """Cells of one row by (lower-case) column name, trying aliases in order."""

    def __init__(self, cols: dict[str, int], cells: list[str]) -> None:
        self.cols, self.cells = cols, cells

    def get(self, *names: str) -> str:
        for name in names:
            i = self.cols.get(name)
            if i is not None and i < len(self.cells) and self.cells[i]:
                return self.cells[i]
        return ""


# --- detection -----------------------------------------------------------------------------


def detect_format(header: list[str]) -> str:
    """The import format a header row belongs to; raises Invalid when unknown."""
    cols = set(_columns(header))
    if {"api_id", "approval_status"} <= cols:
        return "luma"
    if cols & {"order #", "order no.", "order no", "order number"} and \
            cols & {"attendee #", "attendee no.", "attendee no", "attendee number"}:
        return "eventbrite"
    if {"user id", "rsvp"} <= cols and "name" in cols:
        return "meetup"
    if "name" in cols or "email" in cols:
        return "eventnet"
    raise Invalid(_("Unrecognised file: the header row matches no supported export "
                    "(eventnet, Eventbrite, Meetup, Luma). Found: %(found)s",
                    found=", ".join(header[:12])), code="unknown_format")


def _require(header: list[str], cols: dict[str, int], fmt: str,
             *groups: tuple[str, ...]) -> None:
    """Raise Invalid naming the first required column (or any of its aliases) missing."""
    missing = [alts[0] for alts in groups if not any(a in cols for a in alts)]
    if missing:
        raise Invalid(ngettext("The %(fmt)s file lacks the column %(cols)s. Found: %(found)s",
                               "The %(fmt)s file lacks the columns %(cols)s. Found: %(found)s",
                               len(missing), fmt=fmt, cols=", ".join(f'"{m}"' for m in missing),
                               found=", ".join(header[:15])), code="missing_column")


# --- shared row handling -------------------------------------------------------------------


def _question_columns(header: list[str], known: set[str], event: Event,
                      plan: ImportPlan) -> dict[int, str]:
    """Map extra columns to the event's custom questions by label; list the others."""
    by_label = {_key(q["label"]): q["key"] for q in event.questions}
    by_label.update({_key(q["key"]): q["key"] for q in event.questions})
    mapped: dict[int, str] = {}
    for i, name in enumerate(header):
        key = _key(name)
        if key in known or not key:
            continue
        if key in by_label:
            mapped[i] = by_label[key]
        else:
            plan.ignored_columns.append(name)
    return mapped


def _answers(event: Event, mapped: dict[int, str], cells: list[str]) -> dict[str, Any]:
    kinds = {q["key"]: q for q in event.questions}
    answers: dict[str, Any] = {}
    for i, key in mapped.items():
        value = cells[i] if i < len(cells) else ""
        q = kinds[key]
        if q["kind"] == "checkbox":
            answers[key] = _key(value) in ("yes", "oui", "true", "1", "x", "y", "checked")
        elif q["kind"] == "choice" and value not in q["choices"]:
            continue  # an answer the event does not offer: leave the question unanswered
        else:
            answers[key] = value[:500]
    return answers


class _ImportView:
    """The event as imports see it: questions are optional, only the offered ones kept."""

    def __init__(self, event: Event) -> None:
        self.questions = [{**q, "required": False} for q in event.questions]
        self.community_id = event.community_id


def _add(plan: ImportPlan, line: int, profile: Profile, event: Event,
         seen: dict[str, int], *, external_ref: str | None = None,
         email_required: bool = True, checked_in_at: datetime | None = None) -> None:
    """Validate a row's profile and add it to the plan, or record why it is rejected."""
    try:
        validate_profile(profile, _ImportView(event), email_required=email_required)  # type: ignore[arg-type]
    except Invalid as exc:
        where = f"{exc.field}: " if exc.field else ""
        plan.errors.append(RowError(line, where + exc.message))
        return
    for key in ([f"email:{profile.email}"] if profile.email else []) + \
            ([f"ref:{external_ref}"] if external_ref else []):
        if key in seen:
            plan.errors.append(RowError(line, _("duplicate of line %(n)d (%(key)s)",
                                                n=seen[key], key=key.split(":", 1)[1])))
            return
    for key in ([f"email:{profile.email}"] if profile.email else []) + \
            ([f"ref:{external_ref}"] if external_ref else []):
        seen[key] = line
    plan.rows.append(ImportRow(line, profile, external_ref, checked_in_at))


def _rows(rows: list[list[str]], plan: ImportPlan) -> Iterator[tuple[int, list[str]]]:
    """Data rows with their line numbers; rows with too many cells are rejected."""
    width = len(rows[0])
    total = len(rows) - 1
    report = row_progress.get()
    for line, cells in enumerate(rows[1:], start=2):
        if report is not None and (line - 2) % PROGRESS_EVERY == 0:
            report(line - 2, total)
        if len(cells) > width and any(cells[width:]):
            plan.errors.append(RowError(line, _("expected %(n)d columns, found %(m)d",
                                                n=width, m=len(cells))))
            continue
        yield line, cells
    if report is not None:
        report(total, total)


def _links(*values: str) -> list[str]:
    return [v for v in values if re.match(r"^https?://\S+$", v, re.IGNORECASE)]


# --- eventnet ------------------------------------------------------------------------------

_CONSENT_COLUMNS = ("consent_share_contact", "consent_introductions", "consent_followup")
_YES = {"1", "y", "yes", "true", "x", "oui", "o", "vrai"}
_NO = {"", "0", "n", "no", "false", "non", "faux"}
_EVENTNET_COLUMNS = {"id", "name", "email", "company", "title", "bio", "interests", "offers",
                     "asks", "links", "phone", "badge_token", "badge_url", "magic_link",
                     "access_token", *_CONSENT_COLUMNS}


def parse_eventnet(rows: list[list[str]], event: Event) -> ImportPlan:
    """eventnet's own CSV: name,email,company,title,interests,offers,asks (lists by ``;``).

    Optional columns ``consent_share_contact``, ``consent_introductions`` and
    ``consent_followup`` (yes/no) carry consents collected by the organizer's own form.
    """
    plan = ImportPlan(format="eventnet")
    header = rows[0]
    cols = _columns(header)
    _require(header, cols, "eventnet", ("name",), ("email",))
    mapped = _question_columns(header, _EVENTNET_COLUMNS, event, plan)
    seen: dict[str, int] = {}
    for line, cells in _rows(rows, plan):
        row = _Row(cols, cells)
        profile = Profile(
            name=row.get("name"), email=row.get("email"), company=row.get("company"),
            title=row.get("title"), bio=row.get("bio"),
            interests=split_list(row.get("interests"), commas=False),
            offers=split_list(row.get("offers"), commas=False),
            asks=split_list(row.get("asks"), commas=False),
            links=split_list(row.get("links"), commas=False), phone=row.get("phone")[:50],
            answers=_answers(event, mapped, cells),
        )
        for column in _CONSENT_COLUMNS:
            value = row.get(column).strip().lower()
            if value not in _YES | _NO:
                plan.errors.append(RowError(line, _(
                    "%(column)s must be yes or no, not %(value)s", column=column,
                    value=row.get(column))))
                break
            setattr(profile, column, value in _YES)
        else:
            _add(plan, line, profile, event, seen)
    return plan


# --- Eventbrite ----------------------------------------------------------------------------

_EB_ORDER = ("order #", "order no.", "order no", "order number")
_EB_ATTENDEE = ("attendee #", "attendee no.", "attendee no", "attendee number")
_EB_FIRST = ("first name", "first name (attendee)")
_EB_LAST = ("last name", "surname", "last name (attendee)")
_EB_EMAIL = ("email", "email address", "e-mail")
_EB_STATUS = ("attendee status", "status")
_EB_PHONE = ("cell phone", "mobile phone", "work phone", "home phone", "phone")
_EB_SKIP = {"refunded", "cancelled", "canceled", "not attending", "deleted", "transferred",
            "declined"}
#: documented columns of Eventbrite's attendee report (US and UK wording) read or ignored
_EB_KNOWN = {
    *_EB_ORDER, *_EB_ATTENDEE, *_EB_FIRST, *_EB_LAST, *_EB_EMAIL, *_EB_STATUS, *_EB_PHONE,
    "order date", "quantity", "ticket type", "group", "order type", "currency", "total paid",
    "fees paid", "eventbrite fees", "eventbrite payment processing", "attendee status",
    "barcode #", "barcode no.", "job title", "company", "website", "blog", "prefix", "suffix",
    "home address 1", "home address 2", "home city", "home state", "home county",
    "home zip", "home postcode", "home country", "work address 1", "work address 2",
    "work city", "work state", "work county", "work zip", "work postcode", "work country",
    "billing address 1", "billing address 2", "billing city", "billing state", "billing zip",
    "billing postcode", "billing country", "shipping address 1", "shipping address 2",
    "shipping city", "shipping state", "shipping zip", "shipping country", "gender", "age",
    "birth date", "date attending", "device name", "check-in date", "discount",
    "hold", "venue name", "event name", "event id", "buyer first name", "buyer last name",
    "buyer surname", "buyer email", "payment type", "order notes",
}


def parse_eventbrite(rows: list[list[str]], event: Event) -> ImportPlan:
    """Eventbrite's attendee report (US or UK headers); refunds and cancellations skipped."""
    plan = ImportPlan(format="eventbrite")
    header = rows[0]
    cols = _columns(header)
    _require(header, cols, "Eventbrite", _EB_ATTENDEE, _EB_FIRST, _EB_EMAIL)
    mapped = _question_columns(header, _EB_KNOWN, event, plan)
    seen: dict[str, int] = {}
    for line, cells in _rows(rows, plan):
        row = _Row(cols, cells)
        status = _key(row.get(*_EB_STATUS))
        name = " ".join(filter(None, (row.get(*_EB_FIRST), row.get(*_EB_LAST))))
        if status in _EB_SKIP:
            plan.skipped.append(RowError(line, _("%(name)s: attendee status \"%(status)s\"",
                                                 name=name, status=row.get(*_EB_STATUS))))
            continue
        ref = row.get(*_EB_ATTENDEE)
        if not ref:
            plan.errors.append(RowError(line, _("no attendee number")))
            continue
        profile = Profile(
            name=name, email=row.get(*_EB_EMAIL), company=row.get("company"),
            title=row.get("job title"), phone=row.get(*_EB_PHONE)[:50],
            links=_links(row.get("website"), row.get("blog")),
            answers=_answers(event, mapped, cells),
        )
        _add(plan, line, profile, event, seen, external_ref=f"eventbrite:{ref}")
    return plan


# --- Meetup --------------------------------------------------------------------------------

_MEETUP_KNOWN = {"name", "attendance", "user id", "title", "event host", "rsvp", "guests",
                 "rsvped on", "joined group on", "url of member profile", "notes"}
_MEETUP_SKIP = {"no", "waitlist", "waitlisted", "not going"}


def parse_meetup(rows: list[list[str]], event: Event) -> ImportPlan:
    """Meetup's attendee list: no email column, so people come in by their Meetup user id
    and claim their profile later; RSVP "No" and waitlisted rows are skipped."""
    plan = ImportPlan(format="meetup")
    header = rows[0]
    cols = _columns(header)
    _require(header, cols, "Meetup", ("name",), ("user id",), ("rsvp",))
    mapped = _question_columns(header, _MEETUP_KNOWN, event, plan)
    seen: dict[str, int] = {}
    for line, cells in _rows(rows, plan):
        row = _Row(cols, cells)
        rsvp = _key(row.get("rsvp"))
        if rsvp in _MEETUP_SKIP:
            plan.skipped.append(RowError(line, _("%(name)s: RSVP \"%(rsvp)s\"",
                                                 name=row.get("name"), rsvp=row.get("rsvp"))))
            continue
        user_id = row.get("user id")
        if not user_id:
            plan.errors.append(RowError(line, _("no Meetup user id")))
            continue
        profile = Profile(
            name=row.get("name"), email=None, title=row.get("title"),
            links=_links(row.get("url of member profile")),
            answers=_answers(event, mapped, cells),
        )
        _add(plan, line, profile, event, seen, external_ref=f"meetup:{user_id}",
             email_required=False)
    return plan


# --- Luma ----------------------------------------------------------------------------------

_LUMA_KNOWN = {"api_id", "name", "first_name", "last_name", "email", "phone_number",
               "created_at", "approval_status", "custom_source", "checked_in_at",
               "eth_address", "solana_address", "survey_response_rating",
               "survey_response_feedback", "qr_code_url", "ticket_type_id", "ticket_name",
               "coupon_code", "amount", "amount_tax", "amount_discount", "currency",
               "utm_source", "utm_medium", "utm_campaign", "invited_at", "registered_at",
               "registration_answers", "company", "job_title", "linkedin_url", "website"}


def _luma_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_luma(rows: list[list[str]], event: Event) -> ImportPlan:
    """Luma's guest CSV: approved guests only (declined, waitlisted and pending are skipped);
    guests Luma checked in are checked in here too."""
    plan = ImportPlan(format="luma")
    header = rows[0]
    cols = _columns(header)
    _require(header, cols, "Luma", ("api_id",), ("email",), ("approval_status",))
    mapped = _question_columns(header, _LUMA_KNOWN, event, plan)
    seen: dict[str, int] = {}
    for line, cells in _rows(rows, plan):
        row = _Row(cols, cells)
        name = row.get("name") or " ".join(filter(None, (row.get("first_name"),
                                                          row.get("last_name"))))
        status = _key(row.get("approval_status"))
        if status != "approved":
            plan.skipped.append(RowError(line, _("%(name)s: approval status \"%(status)s\"",
                                                 name=name, status=row.get("approval_status"))))
            continue
        checked_in_at = None
        if row.get("checked_in_at"):
            try:
                checked_in_at = _luma_time(row.get("checked_in_at"))
            except ValueError:
                plan.errors.append(RowError(line, _("checked_in_at is not a date: %(v)s",
                                                    v=row.get("checked_in_at"))))
                continue
        profile = Profile(
            name=name, email=row.get("email"), company=row.get("company"),
            title=row.get("job_title"), phone=row.get("phone_number")[:50],
            links=_links(row.get("linkedin_url"), row.get("website")),
            answers=_answers(event, mapped, cells),
        )
        _add(plan, line, profile, event, seen, external_ref=f"luma:{row.get('api_id')}"
             if row.get("api_id") else None, checked_in_at=checked_in_at)
    return plan


PARSERS: dict[str, Callable[[list[list[str]], Event], ImportPlan]] = {
    "eventnet": parse_eventnet,
    "eventbrite": parse_eventbrite,
    "meetup": parse_meetup,
    "luma": parse_luma,
}
