"""Mail transports: SMTP and files (the default on a fresh checkout)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol


class TransientError(Exception):
    """Delivery failed but may succeed later (4xx, connection trouble)."""


class PermanentError(Exception):
    """Delivery will never succeed (5xx: unknown mailbox, rejected)."""


class Transport(Protocol):
    """Sends built messages; may keep a connection open between sends."""

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class FileTransport:
    """Writes each message as an ``.eml`` file, for development and demos."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage) -> None:
        """Write the message to ``<directory>/<message-id>.eml``."""
        ident = str(message["Message-ID"] or "message").strip("<>").replace("/", "_")
        path = self.directory / f"{ident}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
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
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP authentication failed: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._conn = conn
        return conn

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises TransientError or PermanentError."""
        conn = self._connect()
        try:
            refused = conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise _classify(min(codes), str(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, exc.smtp_error.decode(errors="replace")) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientError(str(exc)) from exc
        if refused:
            raise PermanentError(f"recipients refused: {refused}")

    def close(self) -> None:
        """Quit the SMTP session if one is open."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
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
