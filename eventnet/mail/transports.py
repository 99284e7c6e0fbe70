"""Mail transports: SMTP and files (the default on a fresh checkout)."""

from __future__ import annotations

import contextlib
import functools
import smtplib
import socket
import ssl
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

from eventnet.mail.mime import is_bare_address

#: called by a transport with the positions of the messages it is about to make
#: irreversible (their final dot, their file's rename), right before doing so; returns the
#: positions that must not go after all (``Withheld``), or None when all go
Commit = Callable[[list[int]], Collection[int] | None]

#: SMTP connections a transport keeps open and sends a batch over, one message each
DEFAULT_CONNECTIONS = 8


class TransientError(Exception):
    """Delivery failed but may succeed later (4xx, connection trouble)."""


class PermanentError(Exception):
    """Delivery will never succeed (5xx: unknown mailbox, rejected)."""


class UnconfirmedError(Exception):
    """The message was handed over but the server's answer never came: maybe delivered."""


class Withheld(Exception):
    """Not sent, on the worker's word right before the irreversible step (``Commit``): the
    message was cancelled or rendered again while it was being sent. Nothing reached the
    recipient; the outbox row says what became of it."""


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: envelope and bytes (CRLF line ends, not dot-stuffed)."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str


#: what a batch send returns per message: None when delivered, else the error
Outcome = Exception | None


class Transport(Protocol):
    """Sends messages in batches; may keep connections open between batches.

    ``before_commit``, when given, runs once per batch with the positions of the messages
    that are about to become irreversible (the end of their SMTP DATA, the rename of their
    file): the worker records there that they are going out, so a worker killed earlier
    leaves them safely re-sendable. Messages that failed before that point are not in it.
    The positions it returns do not go: their outcome is ``Withheld``.
    """

    #: how many messages one ``send_batch`` handles at once
    batch_size: int

    def send_batch(self, messages: Sequence[Outgoing],
                   before_commit: Commit | None = None) -> list[Outcome]: ...

    def close(self) -> None: ...


def send_one(transport: Transport, message: Outgoing) -> None:
    """Send a single message; raises its TransientError, PermanentError or UnconfirmedError."""
    [outcome] = transport.send_batch([message])
    if outcome is not None:
        raise outcome


#: the file transport's folder, in the instance folder
FILE_DIRECTORY = "outbox"


def eml_path(directory: str | Path, message_id: str) -> Path:
    """Where the file transport writes the message with this Message-ID."""
    ident = message_id.strip("<>").replace("/", "_") or "message"
    return Path(directory) / f"{ident}.eml"


class FileTransport:
    """Writes each message as an ``.eml`` file, for development and demos."""

    batch_size = 50

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send_batch(self, messages: Sequence[Outgoing],
                   before_commit: Commit | None = None) -> list[Outcome]:
        """Write each message to ``<directory>/<message-id>.eml``."""
        paths = []
        for message in messages:
            path = eml_path(self.directory, message.message_id)
            # Local files end their lines the local way, as mail clients expect of .eml.
            path.with_suffix(".tmp").write_bytes(message.data.replace(b"\r\n", b"\n"))
            paths.append(path)
        withheld = set(before_commit(list(range(len(messages)))) or ()) \
            if before_commit is not None else set()
        outcomes: list[Outcome] = []
        for index, path in enumerate(paths):
            if index in withheld:
                path.with_suffix(".tmp").unlink(missing_ok=True)
                outcomes.append(Withheld("withheld right before it was written"))
            else:
                path.with_suffix(".tmp").replace(path)
                outcomes.append(None)
        return outcomes

    def close(self) -> None:
        """Nothing to close."""


class _Slot:
    """One message's SMTP transaction on one connection of a batch."""

    def __init__(self, index: int, message: Outgoing, conn: smtplib.SMTP | None) -> None:
        self.index, self.message, self.conn = index, message, conn
        self.outcome: Outcome = None
        #: opened for this batch (not kept from an earlier one)
        self.is_fresh = False


def _write(slot: _Slot, write: Callable[[_Slot], Any]) -> Exception | None:
    try:
        write(slot)
    except (OSError, smtplib.SMTPException) as exc:
        return exc
    return None


def _reply(slot: _Slot) -> tuple[int, bytes] | Exception:
    try:
        return slot.conn.getreply()  # type: ignore[union-attr]
    except (OSError, smtplib.SMTPException) as exc:
        return exc


class SMTPTransport:
    """Sends over SMTP with STARTTLS or SSL and optional auth.

    A batch goes out over up to ``connections`` open connections at once, one message on
    each, every step of the SMTP conversation written to all of them before their replies
    are read: the round trips overlap instead of adding up.

    With ``envelope_sender`` (``make_transport`` gives it ``EVENTNET_MAIL_FROM``) every
    message goes with ``MAIL FROM:<envelope_sender>``, never an address of its own: the
    From header carries a display name an organizer chose, and parsed back, a line break
    in it once made an address of theirs the envelope sender (where bounces go, what SPF
    checks). Without it, a message's own ``sender``.
    """

    def __init__(self, host: str, port: int, *, security: str = "none",
                 username: str | None = None, password: str | None = None,
                 timeout: int = 30, connections: int = DEFAULT_CONNECTIONS,
                 envelope_sender: str = "") -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}: use none, starttls or ssl")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.batch_size = max(1, int(connections))
        self.envelope_sender = (envelope_sender if is_bare_address(envelope_sender)
                                else parseaddr(envelope_sender)[1])
        self._conns: list[smtplib.SMTP | None] = [None] * self.batch_size

    def _open(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            if self.username:
                conn.login(self.username, self.password or "")
            # The conversation is driven by hand, so greet the server ourselves.
            conn.ehlo_or_helo_if_needed()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP authentication failed: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        if conn.sock is not None:
            # The final "." goes out as a tiny write after the body: without NODELAY, Nagle
            # and delayed ACKs would hold it back for tens of milliseconds per message.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def send_batch(self, messages: Sequence[Outgoing],
                   before_commit: Commit | None = None) -> list[Outcome]:
        """Send up to ``batch_size`` messages, one per connection.

        MAIL, RCPT, DATA and the whole body go out on every connection; then
        ``before_commit`` runs with the positions of the messages still going; then their
        final dots are written and the answers read. A worker killed before the dots
        delivered nothing (the server drops an unfinished transaction). An error before
        the dot is TransientError or PermanentError; no answer after it, UnconfirmedError.
        """
        if len(messages) > self.batch_size:
            raise ValueError(f"at most {self.batch_size} messages per batch")
        slots = [_Slot(i, m, None) for i, m in enumerate(messages)]
        for slot in slots:
            self._attach(slot)
        live = [s for s in slots if s.outcome is None]
        live = self._step(live, functools.partial(_mail_from, sender=self.envelope_sender),
                          (250,), may_reconnect=True)
        for position in range(max((len(s.message.recipients) for s in live), default=0)):
            more = [s for s in live if position < len(s.message.recipients)]
            done = [s for s in live if position >= len(s.message.recipients)]
            live = done + self._step(more, functools.partial(_rcpt_to, position=position),
                                     (250, 251))
        live = self._step(live, _data, (354,))
        for slot in live:
            try:
                slot.conn.send(_smtp_data(slot.message.data))  # type: ignore[union-attr]
            except (OSError, smtplib.SMTPException) as exc:
                self._fail(slot, TransientError(str(exc)))
        live = [s for s in live if s.outcome is None]
        if before_commit is not None:
            try:
                withheld = set(before_commit([s.index for s in live]) or ())
            except BaseException:
                # Drop these connections without the final dot: the server discards them.
                for slot in live:
                    self._drop(slot.index)
                raise
            for slot in live:
                if slot.index in withheld:  # no final dot: the server discards it
                    self._fail(slot, Withheld("withheld right before its final dot"))
            live = [s for s in live if s.index not in withheld]
        sent = []
        for slot in live:
            try:
                slot.conn.send(b".\r\n")  # type: ignore[union-attr]
                sent.append(slot)
            except (OSError, smtplib.SMTPException) as exc:
                self._fail(slot, UnconfirmedError(
                    f"the end of the message could not be sent: {exc}"))
        for slot in sent:
            try:
                code, reply = slot.conn.getreply()  # type: ignore[union-attr]
            except (OSError, smtplib.SMTPException) as exc:
                self._fail(slot, UnconfirmedError(
                    f"no answer after the message was sent: {exc}"))
                continue
            if code != 250:
                slot.outcome = _classify(code, reply.decode(errors="replace"))
        return [s.outcome for s in slots]

    def _attach(self, slot: _Slot) -> None:
        if self._conns[slot.index] is None:
            try:
                self._conns[slot.index] = self._open()
            except (TransientError, PermanentError) as exc:
                slot.outcome = exc
                return
            slot.is_fresh = True
        slot.conn = self._conns[slot.index]

    def _step(self, slots: list[_Slot], write: Callable[[_Slot], Any],
              expected: tuple[int, ...], *, may_reconnect: bool = False) -> list[_Slot]:
        """Write one command on every slot's connection, then read every reply.

        Returns the slots whose reply was expected; the others get their outcome. With
        ``may_reconnect``, a connection kept from an earlier batch that turns out to be
        closed (a server's idle timeout, or its 421) is replaced once and the command
        written again.
        """
        written = []
        for slot in slots:
            error = _write(slot, write)
            if error is not None and may_reconnect and self._reconnect(slot):
                error = _write(slot, write)
            if error is None:
                written.append(slot)
            else:
                self._fail(slot, TransientError(str(error)))
        ok = []
        for slot in written:
            reply = _reply(slot)
            # 421: the server is closing the connection (e.g. it was idle too long).
            is_closed = isinstance(reply, Exception) or reply[0] == 421
            if is_closed and may_reconnect and self._reconnect(slot):
                reply = _write(slot, write) or _reply(slot)
            if isinstance(reply, Exception):
                self._fail(slot, TransientError(str(reply)))
            elif reply[0] in expected:
                ok.append(slot)
            else:
                slot.outcome = _classify(reply[0], reply[1].decode(errors="replace"))
                self._reset(slot)
        return ok

    def _reconnect(self, slot: _Slot) -> bool:
        if slot.is_fresh:
            return False
        self._drop(slot.index)
        try:
            self._conns[slot.index] = slot.conn = self._open()
        except (TransientError, PermanentError):
            return False
        slot.is_fresh = True
        return True

    def _fail(self, slot: _Slot, error: Exception) -> None:
        slot.outcome = error
        self._drop(slot.index)

    def _reset(self, slot: _Slot) -> None:
        try:
            slot.conn.rset()  # type: ignore[union-attr]
        except (OSError, smtplib.SMTPException):
            self._drop(slot.index)

    def _drop(self, index: int) -> None:
        conn, self._conns[index] = self._conns[index], None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        """Quit the SMTP sessions that are open."""
        for index, conn in enumerate(self._conns):
            if conn is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    conn.quit()
                self._conns[index] = None


def _mail_from(slot: _Slot, sender: str = "") -> None:
    address = _quoted(sender or slot.message.sender)
    slot.conn.putcmd("mail", f"FROM:{address}")  # type: ignore[union-attr]


def _rcpt_to(slot: _Slot, position: int) -> None:
    address = _quoted(slot.message.recipients[position])
    slot.conn.putcmd("rcpt", f"TO:{address}")  # type: ignore[union-attr]


def _quoted(address: str) -> str:
    # smtplib.quoteaddr() parses every address again with email.utils.parseaddr().
    return f"<{address}>" if is_bare_address(address) else smtplib.quoteaddr(address)


def _data(slot: _Slot) -> None:
    slot.conn.putcmd("data")  # type: ignore[union-attr]


def _smtp_data(data: bytes) -> bytes:
    """The DATA payload: lines starting with a dot doubled (RFC 5321), ending with CRLF."""
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _classify(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TransientError(f"{code} {text}")
    return PermanentError(f"{code} {text}")


def make_transport(config: dict[str, Any], instance_path: str) -> Transport:
    """The transport the configuration asks for (``MAIL_BACKEND``: file or smtp)."""
    backend = config["MAIL_BACKEND"]
    if backend == "file":
        return FileTransport(Path(instance_path) / FILE_DIRECTORY)
    if backend == "smtp":
        return SMTPTransport(
            config["SMTP_HOST"], int(config["SMTP_PORT"]), security=config["SMTP_SECURITY"],
            username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"],
            timeout=int(config["SMTP_TIMEOUT"]),
            connections=int(config.get("SMTP_CONNECTIONS") or DEFAULT_CONNECTIONS),
            envelope_sender=config["MAIL_FROM"],
        )
    raise ValueError(f"unknown mail backend {backend!r}: use file or smtp")
