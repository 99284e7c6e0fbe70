"""Mail transports: SMTP and files (the default on a fresh checkout)."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol

#: called by a transport right before the step after which the message cannot be taken back
Commit = Callable[[], None]


class TransientError(Exception):
    """Delivery failed but may succeed later (4xx, connection trouble)."""


class PermanentError(Exception):
    """Delivery will never succeed (5xx: unknown mailbox, rejected)."""


class UnconfirmedError(Exception):
    """The message was handed over but the server's answer never came: maybe delivered."""


class Transport(Protocol):
    """Sends built messages; may keep a connection open between sends.

    ``before_commit``, when given, runs right before the irreversible step (the end of the
    SMTP DATA, the rename of the file): the worker records there that the message is going
    out, so a worker killed earlier leaves it safely re-sendable.
    """

    def send(self, message: Message, before_commit: Commit | None = None) -> None: ...

    def close(self) -> None: ...


class FileTransport:
    """Writes each message as an ``.eml`` file, for development and demos."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message, before_commit: Commit | None = None) -> None:
        """Write the message to ``<directory>/<message-id>.eml``."""
        ident = str(message["Message-ID"] or "message").strip("<>").replace("/", "_")
        path = self.directory / f"{ident}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        if before_commit is not None:
            before_commit()
        tmp.replace(path)

    def close(self) -> None:
        """Nothing to close."""


class SMTPTransport:
    """Sends over SMTP with STARTTLS or SSL and optional auth, reusing one connection."""

    def __init__(self, host: str, port: int, *, security: str = "none",
                 username: str | None = None, password: str | None = None,
                 timeout: int = 30) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}: use none, starttls or ssl")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        context = ssl.create_default_context()
        conn: smtplib.SMTP
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(context=context)
            if self.username:
                conn.login(self.username, self.password or "")
            # send() drives MAIL/RCPT/DATA by hand, so greet the server ourselves.
            conn.ehlo_or_helo_if_needed()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP authentication failed: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        if conn.sock is not None:
            # The final "." goes out as a tiny write after the body: without NODELAY, Nagle
            # and delayed ACKs would hold it back for tens of milliseconds per message.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        return conn

    def send(self, message: Message, before_commit: Commit | None = None) -> None:
        """Send one message; raises TransientError, PermanentError or UnconfirmedError.

        The SMTP conversation is driven step by step so that ``before_commit`` runs after
        the server accepted the sender, the recipients and the whole body, right before the
        final ``.``: a worker killed before that point delivered nothing (the server drops
        an unfinished transaction), so the message may safely be sent again.
        """
        conn = self._connect()
        sender = getaddresses([str(message["From"])])[0][1]
        recipients = [addr for _name, addr in getaddresses(
            [str(v) for v in (message.get_all("To", []) + message.get_all("Cc", []))])]
        # Headers unfolded up to RFC 5322's 998 octets (some clients mishandle a folded
        # List-Unsubscribe URL); bodies were encoded with short lines by set_content().
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n",
                                                            max_line_length=998))
        data = re.sub(rb"(?m)^\.", b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            conn.ehlo_or_helo_if_needed()
            code, reply = conn.mail(sender)
            if code != 250:
                self._reset(conn)
                raise _classify(code, reply.decode(errors="replace"))
            refused: dict[str, tuple[int, bytes]] = {}
            for addr in recipients:
                code, reply = conn.rcpt(addr)
                if code not in (250, 251):
                    refused[addr] = (code, reply)
            if refused:
                self._reset(conn)
                raise _classify(min(c for c, _r in refused.values()), f"refused: {refused}")
            code, reply = conn.docmd("DATA")
            if code != 354:
                self._reset(conn)
                raise _classify(code, reply.decode(errors="replace"))
            conn.send(data)
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, exc.smtp_error.decode(errors="replace")) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientError(str(exc)) from exc
        if before_commit is not None:
            try:
                before_commit()
            except BaseException:
                # Drop the connection without the final dot: the server discards the message.
                self._drop()
                raise
        try:
            conn.send(b".\r\n")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise UnconfirmedError(f"no answer after the message was sent: {exc}") from exc
        if code != 250:
            raise _classify(code, reply.decode(errors="replace"))

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Quit the SMTP session if one is open."""
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
            self._conn = None


def _classify(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TransientError(f"{code} {text}")
    return PermanentError(f"{code} {text}")


def make_transport(config: dict[str, Any], instance_path: str) -> Transport:
    """The transport the configuration asks for (``MAIL_BACKEND``: file or smtp)."""
    backend = config["MAIL_BACKEND"]
    if backend == "file":
        return FileTransport(Path(instance_path) / "outbox")
    if backend == "smtp":
        return SMTPTransport(
            config["SMTP_HOST"], int(config["SMTP_PORT"]), security=config["SMTP_SECURITY"],
            username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"],
            timeout=int(config["SMTP_TIMEOUT"]),
        )
    raise ValueError(f"unknown mail backend {backend!r}: use file or smtp")
