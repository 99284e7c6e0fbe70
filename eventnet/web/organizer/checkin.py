"""Door check-in for organizers and staff: badge camera, search by name, on-the-spot sign-up.

The camera page posts each badge to a JSON endpoint (session cookie + ``X-CSRFToken``
header); the search and sign-up forms are plain POSTs. All three call ``services.checkins``.
Offline, the page checks badges in against the roster it keeps (``/checkin/roster``) and
sends its queue to ``/checkin/sync`` when the network returns (see docs/scanning.md).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from eventnet.extensions import db, limiter
from eventnet.models import Attendee, Event
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services import attendees as attendee_service
from eventnet.services import badges as badge_service
from eventnet.services import checkins
from eventnet.services.errors import EventnetError
from eventnet.services.events import registration_count
from eventnet.services.organizers import role_in
from eventnet.web import error_response, limits, local_time, nul_character
from eventnet.web.auth import organizer_event
from eventnet.web.forms_common import ConfirmForm, attach_error, with_questions
from eventnet.web.organizer import bp
from eventnet.web.organizer.forms import OnsiteForm

#: the single-badge PDF sizes offered at the door (``badges.pdf`` layouts)
PRINT_LAYOUTS = ("a6", "label")


def _result(event: Event, attendee: Attendee, outcome: checkins.CheckInResult) -> dict[str, Any]:
    """The green/amber answer for one check-in, JSON-ready."""
    at = local_time(outcome.checked_in_at, event.timezone, "HH:mm")
    if outcome.is_new:
        colour, message = "green", _("Checked in: %(name)s", name=attendee.name)
    else:
        colour, message = "amber", _("Already checked in at %(time)s: %(name)s", time=at,
                                     name=attendee.name)
    return {"result": colour, "message": message, "checked_in_at": at,
            "checked_in_iso": outcome.checked_in_at.isoformat(),
            "attendee": {"id": attendee.id, "name": attendee.name,
                         "company": attendee.company, "title": attendee.title},
            "print_url": url_for("organizer.checkin_badge_pdf", slug=event.slug,
                                 attendee_id=attendee.id)}


def _onsite_form(event: Event, **kwargs: Any) -> OnsiteForm:
    """The door's sign-up form with the event's custom questions (required ones required)."""
    form_class = with_questions(OnsiteForm, event)  # type: ignore[arg-type]
    return form_class(**kwargs)  # type: ignore[return-value]


def _answers(form: OnsiteForm, event: Event) -> dict[str, Any]:
    return {q["key"]: form[f"q_{q['key']}"].data for q in event.questions}


def _is_organizer(event: Event) -> bool:
    """Organizers may register someone over capacity at the door; staff may not."""
    return role_in(current_user, event.community_id) == ROLE_ORGANIZER


def _page(event: Event, *, result: dict[str, Any] | None = None, status: int = 200,
          onsite: OnsiteForm | None = None, new_attendee: Attendee | None = None) -> Any:
    query = request.args.get("q", "")
    found = checkins.search_attendees(event.id, query) if query else []
    extras: dict[str, Any] = {}
    if new_attendee is not None and new_attendee.badge is not None:
        extras = {
            "badge_qr": Markup(badge_service.qr_svg(
                attendee_service.badge_url(new_attendee.badge.token))),
            "link_qr": Markup(badge_service.qr_svg(attendee_service.magic_link(new_attendee))),
        }
    return render_template(
        "organizer/checkin.html", event=event, result=result, query=query, found=found,
        onsite=onsite or _onsite_form(event, formdata=None), checkin_form=ConfirmForm(),
        new_attendee=new_attendee, registered=registration_count(event.id),
        can_override=_is_organizer(event), **extras), status


@bp.get("/events/<slug>/checkin")
@login_required
def checkin(slug: str) -> Any:
    """The door: camera scanning, search by name, on-the-spot registration."""
    return _page(organizer_event(slug, staff_ok=True))


@bp.post("/events/<slug>/checkin/scan")
@login_required
@limiter.limit(limits.CHECKINS_PER_USER, key_func=limits.organizer_key)
def checkin_scan(slug: str) -> Any:
    """JSON: check in the badge read by the camera → green / amber, or a red error."""
    event = organizer_event(slug, staff_ok=True)
    body = request.get_json(force=True, silent=True)
    badge = body.get("badge") if isinstance(body, dict) else None
    if not isinstance(badge, str) or not badge.strip():
        return error_response(400, "missing_badge", _("Send the badge read by the camera."))
    if "\x00" in badge:
        error = nul_character("badge")
        return error_response(error.status, error.code, error.message)
    try:
        assert isinstance(body, dict)
        outcome = checkins.check_in_badge(
            event.id, badge, by_organizer_id=current_user.id, client_id=body.get("client_id"),
            read_at=checkins.parse_read_at(body.get("read_at")))
    except EventnetError as exc:
        return error_response(exc.status, exc.code, exc.message)
    attendee = db.session.get(Attendee, outcome.attendee_id)
    assert attendee is not None
    return _result(event, attendee, outcome)


@bp.post("/events/<slug>/checkin/<int:attendee_id>")
@login_required
def checkin_attendee(slug: str, attendee_id: int) -> Any:
    """Check in someone found by name (forgotten badge)."""
    event = organizer_event(slug, staff_ok=True)
    if not ConfirmForm().validate_on_submit():
        return _page(event, status=400, result={
            "result": "red", "message": _("The form expired. Reload the page and try again.")})
    try:
        outcome = checkins.check_in(attendee_id, by_organizer_id=current_user.id,
                                    method="search", event_id=event.id)
    except EventnetError as exc:
        return _page(event, status=exc.status, result={"result": "red", "message": exc.message})
    attendee = db.session.get(Attendee, attendee_id)
    assert attendee is not None
    return _page(event, result=_result(event, attendee, outcome))


@bp.post("/events/<slug>/checkin/onsite")
@login_required
def checkin_onsite(slug: str) -> Any:
    """Register someone at the door, check them in and show their badge QR right away."""
    event = organizer_event(slug, staff_ok=True)
    form = _onsite_form(event)
    if not form.validate_on_submit():
        return _page(event, onsite=form, status=422)
    try:
        attendee, outcome = checkins.register_onsite(
            event, form.name.data or "", form.email.data, form.company.data or "",
            answers=_answers(form, event), consent_followup=bool(form.consent_followup.data),
            over_capacity=bool(form.over_capacity.data) and _is_organizer(event),
            by_organizer_id=current_user.id)
    except EventnetError as exc:
        message = exc.message
        if exc.code == "event_full":
            message = (_("The event is full: tick “Register them although the event is full” "
                         "to let them in anyway.") if _is_organizer(event) else
                       _("The event is full: only an organizer can register someone more."))
        attach_error(form, exc.field, message)  # type: ignore[arg-type]
        return _page(event, onsite=form, status=exc.status)
    return _page(event, result=_result(event, attendee, outcome), new_attendee=attendee)


def _signed_out() -> Any:
    return error_response(401, "signed_out", _("Sign in again to check people in."))


@bp.get("/events/<slug>/checkin/roster")
def checkin_roster(slug: str) -> Any:
    """JSON: the event's roster as the door keeps it offline (names and badge tokens only),
    with a CSRF token for this session. Staff and organizers only (404 for others)."""
    if not current_user.is_authenticated:
        return _signed_out()
    event = organizer_event(slug, staff_ok=True)
    roster = checkins.door_roster(event.id)
    return jsonify({
        "event": event.slug,
        "csrf_token": generate_csrf(),
        "attendees": [{"id": entry.attendee_id, "name": entry.name, "badges": entry.badges,
                       "checked_in_at": entry.checked_in_at.isoformat()
                       if entry.checked_in_at else None}
                      for entry in roster.attendees],
        "revoked": roster.revoked,
    })


@bp.post("/events/<slug>/checkin/sync")
@limiter.limit(limits.CHECKIN_SYNCS_PER_USER, key_func=limits.organizer_key)
def checkin_sync(slug: str) -> Any:
    """JSON: record the check-ins a door device queued offline, each once (client ids).

    400 names the first malformed field and records nothing; a badge the rules refuse
    (unknown, revoked) gets its error in ``results`` and the others are recorded.
    """
    if not current_user.is_authenticated:
        return _signed_out()
    event = organizer_event(slug, staff_ok=True)
    try:
        reads = checkins.parse_door_reads(request.get_json(force=True, silent=True))
    except EventnetError as exc:
        return error_response(exc.status, exc.code, exc.message)
    answers = checkins.sync_door_reads(event.id, reads, by_organizer_id=current_user.id)
    attendees = {a.id: a for a in db.session.scalars(select(Attendee).where(
        Attendee.id.in_([a.result.attendee_id for a in answers if a.result])))}
    results: list[dict[str, Any]] = []
    for answer in answers:
        if answer.result is None:
            assert answer.error is not None
            results.append({"client_id": answer.client_id, "result": "red", "error": {
                "code": answer.error.code, "message": answer.error.message}})
        else:
            result = _result(event, attendees[answer.result.attendee_id], answer.result)
            results.append({"client_id": answer.client_id, **result})
    return {"results": results}


@bp.get("/events/<slug>/checkin/<int:attendee_id>/badge.pdf")
@login_required
def checkin_badge_pdf(slug: str, attendee_id: int) -> Any:
    """One attendee's badge as a PDF to print at the door (``?layout=a6`` or ``label``)."""
    event = organizer_event(slug, staff_ok=True)
    layout = request.args.get("layout", "a6")
    if layout not in PRINT_LAYOUTS:
        return error_response(400, "invalid_layout",
                              _("layout is one of: %(layouts)s.", layouts=", ".join(PRINT_LAYOUTS)))
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id or attendee.erased_at is not None:
        return error_response(404, "not_found", _("This page does not exist."))
    pdf = badge_service.event_badges_pdf(event, layout=layout, attendee_id=attendee.id)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="badge-{event.slug}-{attendee.id}.pdf"'})
