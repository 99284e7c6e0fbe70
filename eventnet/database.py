"""Engine tuning and write transactions.

SQLite allows one writer at a time. With several gunicorn workers a transaction that starts
as a reader and later writes fails at once with "database is locked" when another process
wrote in between; the busy timeout cannot help it. So every transaction that intends to
write starts with ``BEGIN IMMEDIATE`` (it takes the write lock up front and waits for it),
and readers use plain ``BEGIN`` so that, under WAL, they never block.

Waiting for that lock inside SQLite is costly, though: its busy handler polls with sleeps of
up to 100 ms and is unfair, so under a crowd of scanners a writer can starve for seconds while
the lock sits free. Writers of one SQLite file therefore queue on a lock of our own before
``BEGIN IMMEDIATE``: a thread lock inside the process and ``flock`` on a file beside the
database between processes (gunicorn workers, the CLI). Both wake the next writer as soon as
the lock is released, so SQLite itself never has to wait.
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError

from eventnet.extensions import db

_write_intent: ContextVar[bool] = ContextVar("eventnet_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 30_000


#: a pooled server connection unused for longer than this is checked before it is handed out
PING_AFTER_IDLE_SECONDS = 10.0


def configure_engine(engine: Engine) -> None:
    """Install per-connection settings: WAL, busy timeout, foreign keys on SQLite; on a
    database server, a liveness check of connections that sat idle in the pool."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine)
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if _is_sqlite_file(engine):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection at checkout only when it sat idle, not on every checkout.

    SQLAlchemy's ``pool_pre_ping`` costs a round trip on every checkout: on the badge-scan
    path that was one statement in eight and a third of the PostgreSQL capacity. Instead:

    - a connection whose socket has something to read was closed by the server (a restart,
      ``pg_terminate_backend``: it says so before it hangs up; eventnet never LISTENs, so
      nothing else arrives unasked). Seeing that costs one ``select()``, no round trip;
    - one that sat idle may also have been dropped silently by a firewall, so it is pinged.

    Either is replaced (``DisconnectionError`` makes the pool retry with a fresh connection).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["eventnet_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("eventnet_idle_since")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            if _closed_by_server(dbapi_conn):
                raise DisconnectionError("the server closed the connection")
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def _closed_by_server(dbapi_conn: Any) -> bool:
    """Whether an idle connection's socket has data waiting: the server's goodbye."""
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError):  # no socket, or already closed
        return True
    return bool(readable)


_lock_guard = threading.Lock()
#: (process id, lock file) → (thread lock, file descriptor); per process because a
#: descriptor inherited through fork() would share its flock with the parent
_writer_locks: dict[tuple[int, str], tuple[threading.Lock, int]] = {}


@contextmanager
def _sqlite_writer_lock(path: str) -> Iterator[None]:
    """Hold the exclusive writer lock of the SQLite file ``path`` (threads and processes)."""
    key = (os.getpid(), path + ".write-lock")
    with _lock_guard:
        entry = _writer_locks.get(key)
        if entry is None:
            fd = os.open(key[1], os.O_RDWR | os.O_CREAT, 0o600)
            entry = _writer_locks[key] = (threading.Lock(), fd)
    thread_lock, fd = entry
    with thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _is_sqlite_file(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite" and engine.url.database not in (
        None, "", ":memory:")


def _writer_lock(bind: Engine | Connection) -> AbstractContextManager[None]:
    """The writer lock for the bind's database: a real one for SQLite files only."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    if not _is_sqlite_file(engine):
        return nullcontext()
    return _sqlite_writer_lock(os.path.abspath(str(engine.url.database)))


@contextmanager
def write_transaction() -> Iterator[Any]:
    """Run a block in one write transaction that is committed at the end, rolled back on error.

    Services wrap their work in it; it is the only place that commits.
    """
    session = db.session()
    if _write_intent.get():
        # Nested use: the outer block owns the transaction.
        yield session
        return
    if session.in_transaction():
        # End the read snapshot so the write transaction begins with the lock taken.
        session.commit()
    with _writer_lock(session.get_bind()):
        token = _write_intent.set(True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _write_intent.reset(token)


def session_cursor() -> Any:
    """A DB-API cursor inside the ORM session's transaction."""
    return db.session.connection().connection.cursor()


#: per process and SQLite engine, the one connection that raw writes use (see below)
_writer_connections: weakref.WeakKeyDictionary[Engine, tuple[int, Any]] = \
    weakref.WeakKeyDictionary()


def _writer_connection(engine: Engine) -> Any:
    """This process's connection for raw writes to a SQLite file (call with the writer lock).

    The writer lock already lets one write at a time through, so one connection loses
    nothing, and it keeps its page cache: SQLite drops a connection's cache whenever another
    connection wrote, so rotating through the pool re-read the same index pages on every scan.
    """
    entry = _writer_connections.get(engine)
    if entry is None or entry[0] != os.getpid():  # never a connection inherited through fork
        connection = engine.raw_connection()
        connection.cursor().execute("PRAGMA wal_autocheckpoint = 0")
        _start_checkpointer(engine)
        entry = _writer_connections[engine] = (os.getpid(), connection)
    return entry[1]


#: how often the background checkpointer copies the WAL back into the database file
CHECKPOINT_SECONDS = 1.0
#: a WAL longer than this (in pages; SQLite's own automatic checkpoint threshold) is made to
#: start over (see ``_checkpoint``)
WAL_RESTART_PAGES = 1000


def _start_checkpointer(engine: Engine) -> None:
    """Checkpoint the WAL from a thread of its own instead of inside a writer's commit.

    By default the commit that makes the WAL pass 1,000 pages copies it back into the
    database file and waits for fsync, all while holding the writer lock, so every other
    writer waits behind a disk flush. A PASSIVE checkpoint needs no lock that writers take:
    from this thread it runs beside them (``_checkpoint``).
    """
    engine_ref = weakref.ref(engine)

    def run() -> None:
        connection = None
        while True:
            time.sleep(CHECKPOINT_SECONDS)
            current = engine_ref()
            if current is None:
                break
            try:
                if connection is None:
                    connection = current.raw_connection()
                _checkpoint(current, connection.cursor())
            except Exception:  # a busy or vanished database: try again next time
                connection = None
            del current

    threading.Thread(target=run, name="eventnet-wal-checkpoint", daemon=True).start()


def _checkpoint(engine: Engine, cursor: Any) -> None:
    """Copy the WAL back into the database file, and let it start over when it is long.

    SQLite starts the WAL over only when a write begins with every page of it copied back.
    Under writes at full capacity a checkpoint beside the writers never gets there (they add
    pages while it copies), so the WAL grew for as long as the load lasted: 1 GB in 15 s of
    scans, disk a small server may not have, and more for every read to search (about 5-10 %
    of the capacity, docs/benchmarks.md). So the bulk is copied beside the writers, then,
    when the WAL is long, the few pages written meanwhile with the writer lock held: the
    next write starts the WAL over. (Still PASSIVE: it never waits for a reader, so a long
    read cannot hold the writers up; a reader still on the WAL only postpones its restart to
    the next round.)
    """
    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    _busy, wal_pages, _copied = cursor.fetchone()
    if wal_pages > WAL_RESTART_PAGES:
        with _writer_lock(engine):
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchone()


#: a write as statements: a generator that yields (statement, parameters) and is sent the rows
#: each returns; what it returns is the write's result. Written this way, the same write runs
#: on one cursor statement by statement, or in lockstep with other requests' writes, their
#: statements sent together in one round trip (PostgreSQL's pipeline mode; ``GroupCommit``).
Steps = Generator[tuple["CompiledStatement", dict[str, Any]], list[Any], Any]


def run_steps(cursor: Any, steps: Steps) -> Any:
    """Run a write's statements one after the other on ``cursor``; what the write returns."""
    try:
        statement, params = next(steps)
        while True:
            statement, params = steps.send(statement.run(cursor, params))
    except StopIteration as done:
        return done.value


class _Job:
    """One request's share of a group commit: its write, and how it ended."""

    __slots__ = ("steps", "key", "wake", "result", "is_done", "is_leader")

    def __init__(self, steps: Callable[[], Steps], key: tuple[int, ...]) -> None:
        self.steps = steps
        self.key = key
        self.wake = threading.Lock()
        self.wake.acquire()  # released when the job is done, or when it is to lead
        self.result: Any = None
        self.is_done = False
        self.is_leader = False


#: at most this many requests' writes share one transaction
GROUP_COMMIT_MAX = 64


class GroupCommit:
    """Runs the writes of concurrent requests in one transaction, one commit for all.

    A request hands its write (``Steps``) to ``run``. When no other request of this process
    is writing, it runs its own write at once: alone, nothing changes. When one is, it waits;
    the writer then takes everything that queued up meanwhile, runs it in one transaction,
    commits once, and answers each request only after that commit: acknowledged still means
    durable. The first request still waiting then becomes the next writer (no extra thread,
    and no hand-over when the server is idle). On PostgreSQL the writes of a batch run in
    lockstep, each step's statements sent together (``_write_batch``): a batch costs about
    three round trips, however many scans it holds.

    If anything in the shared transaction fails (one request's write raises: a revoked badge,
    a reused client_id), it is rolled back whole and each of its requests runs its write again
    alone, in its own thread: one request's error never undoes another's scan, and reaches
    its own request with its own language.
    """

    def __init__(self, engine: Engine, writers: int = 1) -> None:
        self._engine_ref = weakref.ref(engine)
        self._mutex = threading.Lock()
        self._pending: list[_Job] = []
        #: how many transactions may be open at once (each by a leading request)
        self._writers = writers
        self._writing = 0

    def run(self, steps: Callable[[], Steps], key: tuple[int, ...] = ()) -> Any:
        """Run the write ``steps()`` in a write transaction shared with concurrent requests;
        returns its result once committed, or raises its exception (nothing of it stored).

        Writes run in the order of their ``key``: the rows they lock (a pair's connection),
        so that two processes' transactions take their locks in the same order.
        """
        job = _Job(steps, key)
        with self._mutex:
            leads = self._writing < self._writers
            if leads:
                self._writing += 1
            else:
                self._pending.append(job)
        if not leads:
            job.wake.acquire()  # done by a writer, or made the next writer
        if leads or job.is_leader:
            self._lead(job)
        if job.is_done:
            return job.result
        # the shared transaction failed: this request's write, alone
        engine = self._engine_ref()
        assert engine is not None
        return _write_batch(engine, [job])[0]

    def _lead(self, job: _Job) -> None:
        """Write ``job`` and what is pending in one transaction, then pass the lead on."""
        with self._mutex:
            batch = [job, *self._pending[:GROUP_COMMIT_MAX - 1]]
            del self._pending[:GROUP_COMMIT_MAX - 1]
        try:
            engine = self._engine_ref()
            assert engine is not None
            batch.sort(key=lambda queued: queued.key)
            results = _write_batch(engine, batch)
            for queued, result in zip(batch, results, strict=True):
                queued.result, queued.is_done = result, True
        except Exception:
            if len(batch) == 1:  # its own write alone: that is its outcome
                raise
            # otherwise each request runs its write again alone (see ``run``)
        finally:
            # Every waiting job leaves the queue exactly once: in a batch, or as a writer.
            with self._mutex:
                successor = self._pending.pop(0) if self._pending else None
                if successor is None:
                    self._writing -= 1
            for queued in batch:
                if queued is not job:
                    queued.wake.release()
            if successor is not None:
                successor.is_leader = True
                successor.wake.release()


def _write_batch(engine: Engine, jobs: list[_Job]) -> list[Any]:
    """Run the writes of ``jobs`` (sorted by key) in one transaction, committed once;
    their results, in order. Raises what any of them raises, having stored nothing."""
    if engine.dialect.name != "postgresql":
        with _raw_transaction(engine) as cursor:
            return [run_steps(cursor, job.steps()) for job in jobs]
    return _write_pipelined(engine, jobs)


def _write_pipelined(engine: Engine, jobs: list[_Job]) -> list[Any]:
    """PostgreSQL: the writes in lockstep, each step's statements sent in one round trip.

    ``BEGIN`` goes out with the first step and ``COMMIT`` with the pipeline's last sync (the
    connection is in autocommit mode meanwhile, so that psycopg adds no round trip of its own
    for either): a write of two statements costs three round trips, alone or in a batch.
    Writes with the same key (the same pair's connection) never share a step: the second
    runs in a later wave, after the first one's statements, in the same transaction.
    """
    waves: list[list[int]] = []
    seen: dict[tuple[int, ...], int] = {}
    for index, job in enumerate(jobs):
        nth = seen[job.key] = seen.get(job.key, -1) + 1
        if nth == len(waves):
            waves.append([])
        waves[nth].append(index)
    results: list[Any] = [None] * len(jobs)
    connection = engine.raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    driver.autocommit = True
    try:
        with driver.pipeline() as pipeline:
            driver.execute("BEGIN")
            for wave in waves:
                running = [(index, jobs[index].steps(), driver.cursor()) for index in wave]
                step: list[_Step] = []
                for index, steps, cursor in running:
                    _advance(steps, None, index, cursor, step, results)
                while step:
                    for _index, _steps, cursor, statement, params in step:
                        statement.send(cursor, params)
                    pipeline.sync()
                    done, step = step, []
                    for index, steps, cursor, statement, _params in done:
                        _advance(steps, statement.fetch(cursor), index, cursor, step, results)
            driver.execute("COMMIT")
    except BaseException:
        try:
            if driver.info.transaction_status != psycopg_idle():
                driver.rollback()
        except Exception:  # the connection broke: the pool must not hand it out again
            connection.invalidate()
        raise
    finally:
        if not driver.closed:
            driver.autocommit = False
        connection.close()  # back to the pool
    return results


#: a write's next statement in a pipelined batch: (its index, the write, its cursor, the
#: statement, its parameters)
_Step = tuple[int, Steps, Any, "CompiledStatement", dict[str, Any]]


def _advance(steps: Steps, rows: list[Any] | None, index: int, cursor: Any,
             step: list[_Step], results: list[Any]) -> None:
    """Send a write the rows of its last statement; queue its next one, or keep its result."""
    try:
        statement, params = next(steps) if rows is None else steps.send(rows)
    except StopIteration as done:
        results[index] = done.value
        return
    step.append((index, steps, cursor, statement, params))


def psycopg_idle() -> Any:
    """psycopg's "no transaction open" status (imported only where PostgreSQL is used)."""
    from psycopg.pq import TransactionStatus

    return TransactionStatus.IDLE


#: per process and engine, its group commit (never one inherited through fork)
_group_commits: weakref.WeakKeyDictionary[Engine, tuple[int, GroupCommit]] = \
    weakref.WeakKeyDictionary()


def group_write(steps: Callable[[], Steps], key: tuple[int, ...] = ()) -> Any:
    """Run the write ``steps()`` in a write transaction, committed together with the writes
    of concurrent requests (see ``GroupCommit``); returns its result once it is durable.

    Inside ``write_transaction`` it runs in that transaction instead.
    """
    if _write_intent.get():
        return run_steps(session_cursor(), steps())
    engine = db.engine
    with _lock_guard:
        entry = _group_commits.get(engine)
        if entry is None or entry[0] != os.getpid():
            entry = _group_commits[engine] = (os.getpid(), GroupCommit(engine))
    return entry[1].run(steps, key)


@contextmanager
def _raw_transaction(engine: Engine) -> Iterator[Any]:
    """A write transaction on a bare DB-API cursor, for the one write that must be as cheap
    as a request can be (a badge scan; see ``group_write``): the writer lock and ``BEGIN
    IMMEDIATE`` on SQLite, one commit at the end, a rollback on error. Statements run on the
    cursor it yields, with the driver's own parameter style."""
    sqlite_file = _is_sqlite_file(engine)
    with _writer_lock(engine):
        connection = _writer_connection(engine) if sqlite_file else engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                if engine.dialect.name == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
        finally:
            if not sqlite_file:
                connection.close()  # back to the pool


@contextmanager
def raw_read() -> Iterator[Any]:
    """A bare DB-API cursor on a pooled connection, for a lookup outside the ORM session.

    Each statement reads committed data, in one round trip: SQLite's and PostgreSQL's
    autocommit (psycopg would otherwise send ``BEGIN`` before the statement, and the pool a
    ``ROLLBACK`` after it). Inside ``write_transaction`` it reads within that transaction.
    """
    if _write_intent.get():
        yield session_cursor()
        return
    connection = db.engine.raw_connection()
    driver = connection.driver_connection if db.engine.dialect.name == "postgresql" else None
    try:
        if driver is not None:
            driver.autocommit = True
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        if driver is not None:
            driver.autocommit = False
        connection.close()


def conflict_insert(model: Any, dialect: str | None = None) -> Any:
    """An INSERT for ``model`` that supports ON CONFLICT DO NOTHING/UPDATE on this backend."""
    name = dialect or db.session.get_bind().dialect.name
    return postgresql.insert(model) if name == "postgresql" else sqlite.insert(model)


#: a statement's parameter with no literal value: the caller must give it
_REQUIRED = object()


class CompiledStatement:
    """One statement compiled once for one dialect, run on a bare DB-API cursor with the
    columns' own bind and result conversions (a hot path's statements: no ORM session and
    no per-statement execution machinery, which cost several times the database work)."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        self.binds = {name: processor for name, bind in compiled.binds.items()
                      if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        #: literal values of the statement (``scan_count=0``), converted once
        self.defaults = {name: self.binds[name](bind.value) if name in self.binds else bind.value
                         for name, bind in compiled.binds.items() if not bind.required}
        #: each parameter the driver gets, in its order: (name, conversion, literal value)
        self.slots = [(name, self.binds.get(name), self.defaults.get(name, _REQUIRED))
                      for name in (self.order or compiled.binds)]
        self.names = [slot[0] for slot in self.slots]
        processors = [col.type.dialect_impl(dialect).result_processor(dialect, None)
                      for col in statement.exported_columns]
        self.results = [(i, p) for i, p in enumerate(processors) if p is not None]
        self.returns_rows = bool(processors)

    def run(self, cursor: Any, params: dict[str, Any]) -> list[Any]:
        """Execute with ``params``; the rows it returns, converted (none for a plain write)."""
        self.send(cursor, params)
        return self.fetch(cursor)

    def send(self, cursor: Any, params: dict[str, Any]) -> None:
        """Execute with ``params`` (in a pipeline: queue it; ``fetch`` after the sync).
        Parameters the statement does not use are ignored; one it needs and lacks raises."""
        values = []
        for name, processor, literal in self.slots:
            if name in params:
                value = params[name]
                values.append(processor(value) if processor is not None else value)
            elif literal is _REQUIRED:
                raise KeyError(name)
            else:
                values.append(literal)
        cursor.execute(self.sql, values if self.order
                       else dict(zip(self.names, values, strict=True)))

    def fetch(self, cursor: Any) -> list[Any]:
        """The rows the statement last sent on ``cursor`` returned, converted."""
        if not self.returns_rows:
            return []
        rows: list[Any] = cursor.fetchall()
        if self.results:
            rows = [list(row) for row in rows]
            for row in rows:
                for i, processor in self.results:
                    row[i] = processor(row[i])
        return rows
