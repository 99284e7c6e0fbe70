"""Who may reach what: every route × method × role, from the app's URL map.

Seven roles ask every route of the app with real objects of one event in the URL (its slug,
a badge, an attendee, a connection, an introduction, and tokens of each kind). ``EXPECTED``
says, per endpoint, which roles it serves; a route missing from it fails the test, so a new
route needs a decision. For each combination:

- a role the route serves gets an answer (2xx, 3xx, or 400/422 for the empty form sent; the
  API and the door scanner get a real scan), never 401/403/404 nor a sign-in redirect;
- any other role is refused (401, 403, 404, 410, a redirect to a sign-in page or back to the
  public badge card; 400 for a link token of the wrong kind; 409 ``other_event`` for a badge
  of another event), and every row of every table is what it was before the refused requests;
- nobody gets a 5xx, and no body holds an email address the role may not see: the event's
  attendee nobody met, and the attendees of another event.

Variants, refused to every role that asks: each link route with a token of another kind (or
the inert copy in an organizer's test preview), asked without a session and by the event's
attendee; each route naming a row by id, with a row of another community's event, asked by
the roles the route serves. ``combinations()`` counts the requests for docs/security.md:
``.venv/bin/pytest -q -s -p no:cacheprovider tests/web/test_access_matrix.py -k figures``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Community, Connection, Introduction, Invitation, Membership
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services import links, tokens
from eventnet.services.attendees import UPDATE_PURPOSE, access_token, magic_link, new_attendee
from eventnet.services.claims import claim_link
from eventnet.services.organizers import issue_api_token
from eventnet.services.profiles import Profile
from eventnet.services.scans import record_scan
from eventnet.services.team import invite
from tests.conftest import AuthActions

ROLES = ("anonymous", "attendee", "attendee_api", "other_attendee", "staff", "organizer",
         "other_organizer")
ALL = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
ORGANIZER = frozenset({"organizer"})
DOOR = frozenset({"organizer", "staff"})
ORGANIZERS = frozenset({"organizer", "staff", "other_organizer"})  # any signed-in organizer
NOT_ORGANIZERS = ALL - ORGANIZERS
ATTENDEE = frozenset({"attendee"})  # the event's attendee, signed in by magic link
API = frozenset({"attendee_api", "other_attendee"})  # any attendee's bearer token
ANN_API = frozenset({"attendee_api"})

#: endpoint (or "endpoint METHOD") → the roles it serves. Link routes serve whoever holds
#: the link: the token is the credential, not the browser's session.
EXPECTED: dict[str, frozenset[str]] = {
    # public pages
    "public.index": ALL, "public.set_language": ALL, "public.register": ALL,
    "public.registered": ALL, "public.event_ics": ALL, "public.signin": ALL, "static": ALL,
    "scan.service_worker": ALL, "scan.scanner_home": ALL, "api.openapi": ALL,
    "organizer.sign_in": ALL,
    # links mailed to one person (the token is the credential)
    "public.magic": ALL, "public.claim": ALL, "public.confirm_update": ALL,
    "attendee.intro_request": ALL, "attendee.intro_answer": ALL, "attendee.unsubscribe": ALL,
    "attendee.vcard_link": ALL,
    # an invitation: a new account for whoever is not signed in as an organizer; a signed-in
    # organizer must be the invited address (here nobody is: 403)
    "organizer.accept_invitation": NOT_ORGANIZERS,
    # the printed badge: its card and QR code are public; saving needs the event's attendee
    "scan.badge": ALL, "scan.qr_png": ALL, "scan.qr_svg": ALL,
    "scan.save": ATTENDEE, "scan.edit": ATTENDEE,
    "scan.identify": ALL,  # "mail me a sign-in link": asks for an email, shows nothing
    # a pending scan travels in the magic link of the attendee who asked for it
    "scan.pending": ATTENDEE, "scan.pending_save": ATTENDEE,
    # the attendee's own pages
    "attendee.home": ATTENDEE, "attendee.connections_csv": ATTENDEE,
    "attendee.connections_vcf": ATTENDEE, "attendee.contact_vcard": ATTENDEE,
    "attendee.my_intro_request": ATTENDEE, "attendee.my_intro_answer": ATTENDEE,
    "attendee.resubscribe": ATTENDEE,  # undoes their own unsubscribe only
    "attendee.sign_out": ALL,  # forgets this browser's attendee; harmless for anyone
    "scan.scanner": ATTENDEE, "scan.scanner_session": ATTENDEE,
    # the JSON API, by bearer token
    "api.create_scan": ANN_API,  # a badge of the token's own event only
    "api.my_connections": API,  # each attendee's own
    "api.edit_connection": ANN_API, "api.forget_connection": ANN_API,
    "api.stats": ORGANIZER,  # an organizer API token of the event's community
    # organizer pages with no event in the URL: any signed-in organizer, for their own
    "organizer.events": ORGANIZERS, "organizer.communities": ORGANIZERS,
    "organizer.new_community": ORGANIZERS, "organizer.new_event": ORGANIZERS,
    "organizer.sign_out": ORGANIZERS,
}
#: organizer routes of the event's community: its organizers; the door: its staff too
ORGANIZER_DEFAULT = ORGANIZER
DOOR_ENDPOINTS = ("organizer.checkin",)  # prefix: checkin, checkin_scan, checkin_roster...


def expected(endpoint: str, method: str) -> frozenset[str]:
    """The roles that ``endpoint`` serves for ``method``."""
    if f"{endpoint} {method}" in EXPECTED:
        return EXPECTED[f"{endpoint} {method}"]
    if endpoint in EXPECTED:
        return EXPECTED[endpoint]
    if endpoint.startswith(DOOR_ENDPOINTS):
        return DOOR
    if endpoint.startswith("organizer."):
        return ORGANIZER_DEFAULT
    raise AssertionError(f"{endpoint} is not in the access matrix: add who may reach it to "
                         "EXPECTED in tests/web/test_access_matrix.py")


#: the other event's rows are its own people's: Olga may edit her own connection
FOREIGN = {"api.edit_connection": frozenset({"other_attendee"}),
           "api.forget_connection": frozenset({"other_attendee"})}

#: requests that end what later requests need: sent last, in this order
LAST = ("organizer.attendee_action", "organizer.sign_out")


@dataclass
class World:
    """One event with its people and tokens, another community's event, and who is who."""

    slug: str
    ids: dict[str, Any]  # URL parameter → value, for the event under test
    foreign: dict[str, Any]  # URL parameter → a row of the other event
    tokens: dict[str, str]  # endpoint → a token of the right kind
    wrong_tokens: dict[str, str]  # endpoint → a token of another kind
    people: dict[str, Any]
    hidden: dict[str, str] = field(default_factory=dict)  # name → email few may see
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # endpoint → request body


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1].removesuffix(".vcf")


def _invitation_token(smtp: Any) -> str:
    for message in smtp.messages:
        body = message.get_body(preferencelist=("plain",))
        found = re.search(r"/invitations/([A-Za-z0-9_-]+)", body.get_content() if body else "")
        if found:
            return found.group(1)
    raise AssertionError("no invitation mail")


def _imports(event: Any, organizer: Any) -> dict[str, Any]:
    """An import of the event, finished: its job id (or, before import jobs, an upload name
    only the uploading browser knows, so nobody else may reach it)."""
    try:
        from eventnet.services import import_jobs
    except ImportError:
        return {"name": "A" * 32}
    job_id = import_jobs.submit_import(event.id, organizer.id,
                                       b"name,email\nNew,new@example.org\n", "auto")
    import_jobs.wait(job_id)
    return {"job_id": job_id}


@pytest.fixture
def world(app, smtp, make_organizer, make_event, make_attendee) -> World:
    owner, staff, outsider = make_organizer(), make_organizer(), make_organizer()
    event = make_event(organizer=owner, starts_at=datetime(2030, 5, 4, 18, tzinfo=UTC))
    other_event = make_event(organizer=outsider)
    community = db.session.get(Community, event.community_id)
    ann, ben = make_attendee(event, "Ann"), make_attendee(event, "Ben")
    # Zed met nobody: no role but the event's organizers and door staff sees his address
    zed = make_attendee(event, "Zed", email="zed.hidden@example.org")
    olga = make_attendee(other_event, "Olga", email="olga.elsewhere@example.org")
    pete = make_attendee(other_event, "Pete", email="pete.elsewhere@example.org")
    with write_transaction():
        ivy = new_attendee(event, Profile(name="Ivy", email=None), source="import")  # claimable
    record_scan(ann.id, ben.id)
    record_scan(ben.id, ann.id)
    record_scan(olga.id, pete.id)
    with write_transaction() as session:
        session.add(Membership(community_id=community.id, organizer_id=staff.id,
                               role=ROLE_STAFF))
        intro = Introduction(event_id=event.id, requester_id=ann.id, recipient_id=zed.id)
        foreign_intro = Introduction(event_id=other_event.id, requester_id=olga.id,
                                     recipient_id=pete.id)
        session.add_all([intro, foreign_intro])
    invite(community.id, "invitee@example.org", ROLE_STAFF, owner.id)
    invitation_token = _invitation_token(smtp)
    invite(other_event.community_id, "elsewhere@example.org", ROLE_STAFF, outsider.id)

    def membership(organizer: Any, community_id: int) -> int:
        return db.session.scalar(select(Membership.id).where(
            Membership.organizer_id == organizer.id, Membership.community_id == community_id))

    def connection(event_id: int) -> int:
        return db.session.scalar(select(Connection.id).where(Connection.event_id == event_id))

    def invitation(community_id: int) -> int:
        return db.session.scalar(select(Invitation.id).where(
            Invitation.community_id == community_id))

    ids = {**_imports(event, owner), "slug": event.slug, "cslug": community.slug,
           "attendee_id": ann.id, "person_id": ann.person_id, "other_id": ben.id,
           "intro_id": intro.id, "connection_id": connection(event.id),
           "membership_id": membership(staff, community.id),
           "invitation_id": invitation(community.id), "action": "erase",
           "filename": "css/app.css"}
    foreign = {**_imports(other_event, outsider), "attendee_id": olga.id,
               "person_id": olga.person_id, "other_id": pete.id,
               "intro_id": foreign_intro.id, "connection_id": connection(other_event.id),
               "membership_id": membership(outsider, other_event.community_id),
               "invitation_id": invitation(other_event.community_id)}
    pending = links.sign(links.PENDING_SCAN, {"a": ann.id, "b": zed.badge.token, "n": "",
                                             "t": [], "c": "matrix-pending", "s": 0})
    update = tokens.sign(UPDATE_PURPOSE, {"a": ann.id, "p": Profile(
        name="Ann", email=ann.email, consent_share_contact=True).as_payload()})
    intro_request = links.sign(links.INTRO_REQUEST, {"e": event.id, "r": ann.id, "t": zed.id})
    intro_answer = links.sign(links.INTRO_ANSWER, {"i": intro.id, "b": zed.id})
    unsubscribe = links.sign(links.UNSUBSCRIBE, {"a": ann.id})
    vcard = links.sign(links.VCARD, {"a": ann.id, "o": ben.id})
    magic = _token(magic_link(ben))  # Ann's own link signs her in for the "attendee" role
    badge = zed.badge.token
    link_tokens = {
        "public.magic": magic, "public.claim": _token(claim_link(ivy)),
        "public.confirm_update": update, "attendee.intro_request": intro_request,
        "attendee.intro_answer": intro_answer, "attendee.unsubscribe": unsubscribe,
        "attendee.vcard_link": vcard, "organizer.accept_invitation": invitation_token,
        "scan.": badge,
    }
    # a token of another kind; for mailed links, the inert copy an organizer's test preview
    # carries (links.url(..., preview=True)): no endpoint may accept it
    wrong = {
        "public.magic": unsubscribe, "public.claim": magic, "public.confirm_update": magic,
        "attendee.intro_request": _token(links.url(links.INTRO_REQUEST, {
            "e": event.id, "r": ann.id, "t": zed.id}, preview=True)),
        "attendee.intro_answer": intro_request,
        "attendee.unsubscribe": _token(links.url(links.UNSUBSCRIBE, {"a": ann.id},
                                                 preview=True)),
        "attendee.vcard_link": _token(links.url(links.VCARD, {"a": ann.id, "o": ben.id},
                                                preview=True)),
        "organizer.accept_invitation": magic, "scan.": access_token(ann),
        "scan.pending": links.sign(links.PENDING_SCAN, {"a": ann.id, "b": ben.badge.token,
                                                        "c": "x", "s": 0}),
    }
    return World(
        slug=event.slug, ids={**ids, "pending": pending}, foreign=foreign,
        tokens=link_tokens, wrong_tokens=wrong,
        people={"owner": owner, "staff": staff, "outsider": outsider, "ann": ann, "olga": olga,
                "event": event},
        hidden={"zed": zed.email, "olga": olga.email, "pete": pete.email},
        # bodies that do something, so that "served" means served: a scan of Zed's badge
        # (Olga's token may not scan a badge of this event), a note, a door check-in
        bodies={"api.create_scan": {"json": {"badge": badge}},
                "api.edit_connection": {"json": {"note": "met at the matrix"}},
                "organizer.checkin_scan": {"json": {"badge": ann.badge.token}}})


def forbidden_emails(world: World, role: str) -> set[str]:
    """The addresses ``role`` must never find in an answer."""
    hidden = world.hidden
    if role in ("organizer", "staff"):  # the event's roster; never another community's
        return {hidden["olga"], hidden["pete"]}
    if role in ("other_attendee", "other_organizer"):  # their own event, not this one's
        return {hidden["zed"]}
    return set(hidden.values())


# --- requests --------------------------------------------------------------------------


@dataclass
class Call:
    """One request of the matrix."""

    endpoint: str
    method: str
    path: str
    allowed: frozenset[str]
    is_link: bool = False  # a refusal may be the 400 of an invalid link
    variant: str = "main"
    serves: frozenset[str] = NOBODY  # who the route serves with the event's own objects


def _fill(rule: Any, values: dict[str, Any], token: str | None) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = token if name == "token" and token is not None else values[name]
        path = re.sub(rf"<(?:[^:>]+(?:\([^)]*\))?:)?{re.escape(name)}>", str(value), path,
                      count=1)
    return path


def _token_for(endpoint: str, table: dict[str, str]) -> str | None:
    if endpoint in table:
        return table[endpoint]
    return table.get("scan.") if endpoint.startswith("scan.") else None


def _methods(rule: Any) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


#: query strings a route needs to do its work
QUERIES = {"organizer.badges_pdf": "?layout=a6&paper=a4"}
VARIANTS = ("main", "wrong_token", "foreign")


def calls(app: Any, world: World, *, variant: str = "main") -> list[Call]:
    """The matrix's requests: ``main`` (the event's own objects), ``wrong_token`` (link
    routes with a token of another kind), ``foreign`` (ids of another event's rows)."""
    out = []
    for rule in app.url_map.iter_rules():
        arguments = set(rule.arguments)
        if variant == "wrong_token" and "token" not in arguments and \
                rule.endpoint not in world.wrong_tokens:
            continue
        if variant == "foreign" and not arguments & set(world.foreign):
            continue
        values = {**world.ids, **(world.foreign if variant == "foreign" else {})}
        table = world.wrong_tokens if variant == "wrong_token" else world.tokens
        token = _token_for(rule.endpoint, table)
        if variant == "wrong_token" and "pending" in arguments:  # the badge's own, wrong scan
            values["pending"], token = world.wrong_tokens["scan.pending"], world.tokens["scan."]
        is_link = "token" in arguments or "pending" in arguments
        query = QUERIES.get(rule.endpoint, "")
        for method in _methods(rule):
            allowed = expected(rule.endpoint, method) if variant == "main" else \
                FOREIGN.get(rule.endpoint, NOBODY) if variant == "foreign" else NOBODY
            out.append(Call(rule.endpoint, method, _fill(rule, values, token) + query, allowed,
                            is_link, variant, expected(rule.endpoint, method)))
    return out


#: a link's token is its credential, whoever holds it: a token of another kind is tried
#: without a session and with the event's attendee signed in (a lax check might lean on it)
WRONG_TOKEN_ROLES = frozenset({"anonymous", "attendee"})


def asks(call: Call, role: str) -> bool:
    """Whether ``role`` sends ``call``: every role sends the event's own objects; another
    event's rows go to the roles the route serves (the others are refused before any row
    is read), tokens of the wrong kind to ``WRONG_TOKEN_ROLES``."""
    if call.variant == "foreign":
        return role in call.serves or role in call.allowed
    return call.variant == "main" or role in WRONG_TOKEN_ROLES


def _order(call: Call, role: str) -> tuple[int, int, int]:
    """Refused requests first (the database must not change), then reads, then writes,
    then what ends what others need (erasure, sign-out)."""
    last = LAST.index(call.endpoint) if call.endpoint in LAST else -1
    return (role in call.allowed, last, call.method != "GET")


# --- signing in ----------------------------------------------------------------------------


def credentials(role: str, client: Any, world: World) -> dict[str, str]:
    """Sign ``role`` in on ``client``; the headers every request of the role carries."""
    auth, people = AuthActions(client), world.people
    if role == "attendee":
        auth.attendee(people["ann"])
    if role == "attendee_api":
        return {"Authorization": f"Bearer {access_token(people['ann'])}"}
    if role == "other_attendee":
        auth.attendee(people["olga"])
        return {"Authorization": f"Bearer {access_token(people['olga'])}"}
    for name, who in (("staff", "staff"), ("organizer", "owner"),
                      ("other_organizer", "outsider")):
        if role == name:
            assert auth.organizer(people[who].email).status_code == 302
            return {"Authorization": f"Bearer {issue_api_token(people[who].id)}"}
    return {}


def _cookies(client: Any) -> list[Any]:
    return [c for c in (client.get_cookie(name, domain=d) for name in (
        "session", "remember_token") for d in ("localhost", "eventnet.test")) if c]


def snapshot() -> list[tuple[str, list[str]]]:
    """Every row of every table, to show that refused requests changed nothing."""
    db.session.rollback()
    out = []
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608
        out.append((table.name, sorted(repr(tuple(r)) for r in rows)))
    db.session.rollback()
    return out


SIGN_IN_PATHS = ("/organizer/sign-in", "/signin")


def judge(call: Call, role: str, response: Any, world: World) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    body = response.get_data()
    for email in forbidden_emails(world, role):
        if email.encode() in body:
            return f"{status} shows {email}"
    location = response.headers.get("Location", "")
    to_sign_in = status in (301, 302, 303) and any(p in location for p in SIGN_IN_PATHS)
    refused = status in (401, 403, 404, 410) or to_sign_in
    if role in call.allowed:
        if refused:
            return f"{status} {location}".strip() + " for a role it serves"
        return None
    back_to_card = call.endpoint.startswith("scan.") and status in (302, 303) and \
        re.search(r"/b/[^/]+$", location) is not None
    other_event = status == 409 and b'"other_event"' in body  # a badge of another event
    if refused or back_to_card or other_event or (call.is_link and status == 400):
        return None
    return f"{status} {location}".strip() + " for a role it does not serve"


def run_matrix(app: Any, world: World, role: str) -> int:
    """Send every call of every variant as ``role``; return how many were sent."""
    signer = app.test_client()
    headers = credentials(role, signer, world)
    cookies = _cookies(signer)
    todo = sorted((c for v in VARIANTS for c in calls(app, world, variant=v)
                   if asks(c, role)), key=lambda c: _order(c, role))
    before = snapshot()
    failures, checked = [], False
    for call in todo:
        if not checked and role in call.allowed:
            assert snapshot() == before, f"a refused request changed the database ({role})"
            checked = True
        client = app.test_client()  # the role's cookies, untouched by earlier answers
        for cookie in cookies:
            client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        body = world.bodies.get(call.endpoint) or (
            {"json": {}} if call.endpoint.startswith("api.") and call.method != "GET"
            else {"data": {}})
        with client.open(call.path, method=call.method, headers=headers, **body) as response:
            problem = judge(call, role, response, world)
        if os.environ.get("MATRIX_DUMP"):
            print("DUMP", role, call.variant, call.method, call.endpoint, response.status_code,
                  response.headers.get("Location", ""), problem or "")
        if problem:
            failures.append((call.method, call.path, call.endpoint, problem))
    if not checked:
        assert snapshot() == before, f"a refused request changed the database ({role})"
    assert not failures, "\n".join(map(str, failures))
    return len(todo)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(app, world, role):
    """The event's own objects in every URL (``main``); besides, refused for every role:
    each link route with a token of another kind (a badge token is no magic link, an
    unsubscribe link no vCard link, and the links of an organizer's test preview act for
    nobody), and each route naming a row of another community's event (an attendee,
    connection, introduction, person, membership, invitation or import)."""
    assert run_matrix(app, world, role) > 100


#: state-changing routes that take no CSRF token, and why
CSRF_EXEMPT = {
    "attendee.unsubscribe": "RFC 8058: mail clients send the one-click POST without a form",
    "api.": "bearer tokens in a header, never cookies: another site cannot send them",
}


@pytest.mark.parametrize("role", ["attendee", "organizer"])
def test_every_state_changing_route_needs_the_csrf_token(app, world, role):
    """With CSRF on (as in production), a POST, PATCH or DELETE without the token is a 400
    on every route but ``CSRF_EXEMPT``, and changes nothing, for the signed-in attendee and
    for the event's organizer alike (the cookie holders another site could ride on)."""
    signer = app.test_client()
    headers = credentials(role, signer, world)
    cookies = _cookies(signer)
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture turns it off for the next test
    before, failures, sent = snapshot(), [], 0
    for call in calls(app, world):
        if call.method == "GET" or call.endpoint.startswith(tuple(CSRF_EXEMPT)):
            continue
        client = app.test_client()
        for cookie in cookies:
            client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        with client.open(call.path, method=call.method, headers=headers,
                         **(world.bodies.get(call.endpoint) or {"data": {}})) as response:
            sent += 1
            if response.status_code != 400:
                failures.append((call.method, call.path, response.status_code))
    assert not failures and sent > 30
    assert snapshot() == before


def combinations(app: Any, world: World) -> dict[str, int]:
    """The figures: routes, route × method pairs, and requests per variant (× roles)."""
    rules = list(app.url_map.iter_rules())
    pairs = sum(len(_methods(r)) for r in rules)
    out = {"routes": len(rules), "route_methods": pairs, "roles": len(ROLES)}
    for variant in VARIANTS:
        out[variant] = sum(asks(c, role) for c in calls(app, world, variant=variant)
                           for role in ROLES)
    out["csrf_routes"] = sum(c.method != "GET" and not c.endpoint.startswith(tuple(CSRF_EXEMPT))
                             for c in calls(app, world))
    return out


def test_figures(app, world):
    """Print the matrix's size (quoted in docs/security.md)."""
    figures = combinations(app, world)
    print("\naccess matrix:", figures, "total", sum(
        figures[v] for v in VARIANTS))
    assert figures["main"] == figures["route_methods"] * len(ROLES)
