"""My connections' contact details as downloads: one vCard from the follow-up email's link,
and from my page one vCard, all of them as .vcf, or all of them as CSV."""

from __future__ import annotations

from typing import Any

from eventnet.extensions import limiter
from eventnet.services import vcards
from eventnet.services.tokens import InvalidLink
from eventnet.web.attendee import bp
from eventnet.web.attendee.pages import invalid_link, signed_in
from eventnet.web.edge import Response  # text that cannot fail to encode


def _vcf(body: str, name: str) -> Response:
    return Response(body, mimetype="text/vcard",
                    headers={"Content-Disposition": f'attachment; filename="{name}.vcf"'})


@bp.get("/v/<token>.vcf")
@limiter.limit("60/minute")
def vcard_link(token: str) -> Any:
    """The contact card of a connection who shares contact details (from the email)."""
    try:
        other, card = vcards.vcard_from_link(token)
    except InvalidLink as exc:
        return invalid_link(exc)
    return _vcf(card, f"contact-{other.id}")


@bp.get("/e/<slug>/me/contacts/<int:other_id>.vcf")
def contact_vcard(slug: str, other_id: int) -> Any:
    """The vCard of one of my connections who shares contact details."""
    _event, me = signed_in(slug)
    other, card = vcards.connection_vcard(me, other_id)
    return _vcf(card, f"contact-{other.id}")


@bp.get("/e/<slug>/me/connections.vcf")
def connections_vcf(slug: str) -> Any:
    """All my connections as one .vcf file."""
    event, me = signed_in(slug)
    return _vcf(vcards.connections_vcf(me), f"connections-{event.slug}")


@bp.get("/e/<slug>/me/connections.csv")
def connections_csv(slug: str) -> Any:
    """All my connections as CSV."""
    event, me = signed_in(slug)
    return Response(vcards.connections_csv(me), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="connections-{event.slug}.csv"'})
