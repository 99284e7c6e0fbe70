"""A community's team: invite co-organizers and door staff, accept, remove."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from eventnet.extensions import db, limiter
from eventnet.models import Community, Membership, Organizer
from eventnet.models.organizer import ROLE_ORGANIZER, ROLE_STAFF
from eventnet.services import team as team_service
from eventnet.services.errors import NotFound
from eventnet.services.tokens import InvalidLink
from eventnet.web.auth import sign_in_organizer
from eventnet.web.forms_common import ConfirmForm, form_status, service_errors
from eventnet.web.organizer import bp
from eventnet.web.organizer.community import organizer_community
from eventnet.web.organizer.forms import InviteForm, NewAccountForm


@bp.route("/communities/<cslug>/team", methods=["GET", "POST"])
@login_required
def team(cslug: str) -> Any:
    """The team and its pending invitations, with the invite form."""
    community = organizer_community(cslug)
    form = InviteForm()
    if form.validate_on_submit():
        with service_errors(form):
            invitation = team_service.invite(community.id, form.email.data or "",
                                             form.role.data or ROLE_STAFF, current_user.id)
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("organizer.team", cslug=community.slug))
    return render_template("organizer/team.html", community=community, form=form,
                           confirm=ConfirmForm(),
                           team=team_service.team_of(community.id)), form_status(form)


@bp.route("/communities/<cslug>/team/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(cslug: str, membership_id: int) -> Any:
    """Confirm (GET) and remove (POST) a team member."""
    community = organizer_community(cslug)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.community_id != community.id:
        raise NotFound(_("No such team member."))
    form = ConfirmForm()
    if form.validate_on_submit():
        email, organizer_id = membership.organizer.email, membership.organizer_id
        team_service.remove_member(community.id, membership.id)
        flash(_("%(email)s was removed from the team.", email=email), "success")
        if organizer_id == current_user.id:
            return redirect(url_for("organizer.events"))
        return redirect(url_for("organizer.team", cslug=community.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("organizer/team_remove.html", community=community,
                           membership=membership, form=form), status


@bp.post("/communities/<cslug>/invitations/<int:invitation_id>/cancel")
@login_required
def cancel_invitation(cslug: str, invitation_id: int) -> Any:
    """Withdraw a pending invitation."""
    community = organizer_community(cslug)
    if ConfirmForm().validate_on_submit():
        team_service.cancel_invitation(community.id, invitation_id)
        flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("organizer.team", cslug=community.slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def accept_invitation(token: str) -> Any:
    """Accept a team invitation: signed in, with one click; otherwise, create an account."""
    try:
        invitation = team_service.invitation_for_token(token)
    except InvalidLink as exc:
        return render_template("errors/error.html", status=400, message=exc.message), 400
    community = db.session.get(Community, invitation.community_id)
    has_account = db.session.scalar(
        select(Organizer.id).where(Organizer.email == invitation.email)) is not None
    confirm, account = ConfirmForm(), NewAccountForm()
    if current_user.is_authenticated:
        team_service.check_invitee(invitation, current_user.email)  # a 403 page otherwise
        if confirm.validate_on_submit():
            team_service.accept_invitation(token, current_user.id)
            return _joined(community, invitation.role)
    elif not has_account and account.validate_on_submit():
        with service_errors(account):
            organizer = team_service.accept_with_new_account(
                token, account.name.data or "", account.password.data or "")
            sign_in_organizer(organizer.id)
            return _joined(community, invitation.role)
    return render_template("organizer/invitation.html", invitation=invitation,
                           community=community, confirm=confirm, account=account,
                           has_account=has_account, token=token), form_status(account)


def _joined(community: Any, role: str) -> Any:
    flash(_("Welcome to the team of %(community)s.", community=community.name), "success")
    if role == ROLE_ORGANIZER:
        return redirect(url_for("organizer.community", cslug=community.slug))
    return redirect(url_for("organizer.events"))
