"""Flask's signed-cookie session, without its cost on requests that carry no session cookie.

Flask builds an itsdangerous serializer on every request just to find out whether there is a
cookie to read, and again looks up seven cookie settings to find out there is nothing to
write. API clients (the badge scanner, the JSON API) never send the cookie: for them the
session is simply empty, and stays unwritten unless a view puts something in it.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's session interface, with a shortcut when there is no cookie to read or write."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session without a cookie; otherwise Flask's own."""
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to do for a session that stayed empty and unread; otherwise Flask's own."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)
