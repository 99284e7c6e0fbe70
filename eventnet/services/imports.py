"""Attendee imports: parse a file into a plan, report every bad row, apply all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.models import Attendee, Event
from eventnet.services.attendees import Profile, _apply_profile, new_attendee, split_list
from eventnet.services.errors import Invalid, NotFound

MAX_IMPORT_BYTES = 20 * 1024 * 1024


@dataclass
class RowError:
    """A rejected row: its line number in the file and why."""

    line: int
    message: str


@dataclass
class ImportRow:
    """One attendee to create or update."""

    line: int
    profile: Profile
    external_ref: str | None = None


@dataclass
class ImportPlan:
    """The parsed file: rows to apply, rejected rows, rows skipped on purpose."""

    format: str
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Whether the plan can be applied (no rejected row)."""
        return not self.errors


@dataclass
class ImportResult:
    """What applying a plan did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def decode_csv(data: bytes) -> list[list[str]]:
    """Decode UTF-8 (with or without BOM) CSV into rows; raises Invalid with the reason."""
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(_("The file is too large (20 MB at most)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            _("The file is not UTF-8 text (byte %(pos)d). Save it as CSV UTF-8 and retry.",
              pos=exc.start)
        ) from exc
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise Invalid(_("The file is not valid CSV: %(error)s", error=str(exc))) from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise Invalid(_("The file is empty."))
    return rows


def _index(header: list[str]) -> dict[str, int]:
    return {name.strip().lower(): i for i, name in enumerate(header)}


def parse_eventnet(rows: list[list[str]], event: Event) -> ImportPlan:
    """eventnet's own CSV: name,email,company,title,interests,offers,asks (lists by ``;``)."""
    from eventnet.services.attendees import validate_profile

    plan = ImportPlan(format="eventnet")
    cols = _index(rows[0])
    missing = [c for c in ("name", "email") if c not in cols]
    if missing:
        raise Invalid(_("Missing column(s): %(cols)s. Found: %(found)s",
                        cols=", ".join(missing), found=", ".join(rows[0])))
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        def cell(name: str, row: list[str] = row) -> str:
            i = cols.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        if len(row) != len(rows[0]):
            plan.errors.append(RowError(line, _("expected %(n)d columns, found %(m)d",
                                                n=len(rows[0]), m=len(row))))
            continue
        profile = Profile(
            name=cell("name"), email=cell("email"), company=cell("company"),
            title=cell("title"), interests=split_list(cell("interests"), commas=False),
            offers=split_list(cell("offers"), commas=False),
            asks=split_list(cell("asks"), commas=False),
        )
        _validate_row(plan, line, profile, event, seen, validate_profile)
    return plan


def _validate_row(plan: ImportPlan, line: int, profile: Profile, event: Event,
                  seen: dict[str, int], validate: Callable[..., Profile],
                  external_ref: str | None = None, email_required: bool = True) -> None:
    try:
        validate(profile, _NoQuestions(event), email_required=email_required)
    except Invalid as exc:
        plan.errors.append(RowError(line, f"{exc.field or 'row'}: {exc.message}"))
        return
    key = profile.email or f"ref:{external_ref}"
    if key in seen:
        plan.errors.append(RowError(line, _("duplicate of line %(n)d (%(key)s)",
                                            n=seen[key], key=key)))
        return
    seen[key] = line
    plan.rows.append(ImportRow(line, profile, external_ref))


class _NoQuestions:
    """An event seen without its custom questions: imports do not answer them."""

    def __init__(self, event: Event) -> None:
        self.questions: list[dict[str, object]] = []
        self.community_id = event.community_id


PARSERS: dict[str, Callable[[list[list[str]], Event], ImportPlan]] = {"eventnet": parse_eventnet}


def detect_format(header: list[str]) -> str:
    """The import format a header row belongs to; raises Invalid when unknown."""
    cols = set(_index(header))
    if {"name", "email"} <= cols:
        return "eventnet"
    raise Invalid(_("Unrecognised file: the header row must include name and email. "
                    "Found: %(found)s", found=", ".join(header)))


def plan_import(event: Event, data: bytes, fmt: str = "auto") -> ImportPlan:
    """Parse an uploaded file into a plan without changing anything. Raises Invalid."""
    rows = decode_csv(data)
    if fmt == "auto":
        fmt = detect_format(rows[0])
    parser = PARSERS.get(fmt)
    if parser is None:
        raise Invalid(_("Unknown import format: %(fmt)s", fmt=fmt))
    return parser(rows, event)


def apply_import(event_id: int, plan: ImportPlan) -> ImportResult:
    """Create or update every row of a valid plan in one transaction. Raises Invalid."""
    if not plan.is_valid:
        raise Invalid(_("The file has %(n)d rejected row(s); nothing was imported.",
                        n=len(plan.errors)))
    result = ImportResult()
    with write_transaction() as session:
        event = session.get(Event, event_id)
        if event is None:
            raise NotFound(_("No such event."))
        existing = {
            (a.email or f"ref:{a.external_ref}"): a
            for a in session.scalars(select(Attendee).where(Attendee.event_id == event_id))
        }
        source = f"import:{plan.format}"
        for row in plan.rows:
            key = row.profile.email or f"ref:{row.external_ref}"
            attendee = existing.get(key)
            if attendee is None:
                attendee = new_attendee(event, row.profile, source=source)
                attendee.external_ref = row.external_ref
                existing[key] = attendee
                result.created += 1
            elif attendee.erased_at is not None:
                result.unchanged += 1
            else:
                fields = {k: v for k, v in row.profile.__dict__.items()
                          if k in _IMPORTED_FIELDS and (v or k in ("name", "email"))}
                if _apply_profile(attendee, _merged(attendee, fields)):
                    result.updated += 1
                else:
                    result.unchanged += 1
    return result


_IMPORTED_FIELDS = ("name", "email", "company", "title", "interests", "offers", "asks", "phone")


def _merged(attendee: Attendee, fields: dict[str, object]) -> Profile:
    """The attendee's profile with the imported fields laid over it."""
    current = {k: getattr(attendee, k) for k in Profile.__dataclass_fields__}
    current.update(fields)
    return Profile(**current)  # type: ignore[arg-type]
