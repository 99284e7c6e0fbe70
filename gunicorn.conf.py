"""gunicorn settings used by `make run` (and the benchmarks).

Worker class and count: scans and page views are short, mostly CPU-bound Python with brief
database waits. On a 2-core machine two worker processes use both cores; each runs
``gthread`` with 8 threads so keep-alive connections (phones at a venue keep theirs open)
do not each pin a process, and a thread waiting on SQLite's write lock or on PostgreSQL
does not stall the others. More processes than cores only add context switches and, on
SQLite, more writers queueing for the single write lock. Override with
``GUNICORN_WORKERS`` / ``GUNICORN_THREADS`` on bigger machines (2 × cores is a good start).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# a database server connection per request thread, and one for the scans' group commit
os.environ.setdefault("EVENTNET_DB_POOL_SIZE", str(threads + 2))
keepalive = 75  # seconds; longer than typical phone idle gaps between two scans
timeout = 60
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
# URLs carry tokens (magic links, badges, invitations...): they are logged as [token]
logger_class = "eventnet.web.access_log.AccessLogger"
wsgi_app = "wsgi:app"
# gunicorn 27 opens one control socket per user by default; a second server on the same
# machine (another instance, a benchmark baseline) would clash with it. We do not use it.
control_socket_disable = True


def on_starting(server):  # noqa: ANN001, ARG001
    """Create or migrate the schema once, in the master, before workers start."""
    from flask_migrate import upgrade

    from eventnet import create_app

    app = create_app()
    with app.app_context():
        upgrade()


def when_ready(server):  # noqa: ANN001
    """Without a broker, run the delivery worker beside the app: `eventnet outbox work
    --loop` sends retries and mail a killed sender left, the introductions' reminders and
    the purge of old mail, with no other service to set up. It ends with this master,
    however the master ends. ``EVENTNET_OUTBOX_WORKER=0``: you run it yourself."""
    if os.environ.get("EVENTNET_OUTBOX_WORKER", "1").lower() in ("0", "false", "no"):
        return
    from eventnet.config import from_environ

    if from_environ()["BROKER_URL"]:
        return  # the Celery workers deliver
    import functools
    import subprocess
    import sys
    from pathlib import Path

    from eventnet.mail.worker import exit_with_parent

    command = [str(Path(sys.executable).with_name("eventnet")), "outbox", "work", "--loop",
               "--with-parent", str(os.getpid())]
    # preexec_fn: the master is single-threaded; the child asks to die with it
    server.eventnet_outbox = subprocess.Popen(  # noqa: S603
        command, preexec_fn=functools.partial(exit_with_parent, os.getpid()))  # noqa: PLW1509
    server.log.info("delivery worker started: %s (pid %s)", " ".join(command[1:]),
                    server.eventnet_outbox.pid)


def on_exit(server):  # noqa: ANN001
    """Stop the delivery worker started by ``when_ready``."""
    outbox = getattr(server, "eventnet_outbox", None)
    if outbox is not None and outbox.poll() is None:
        outbox.terminate()
        outbox.wait(timeout=30)


#: how long a thread may hold the GIL while another waits for it (Python's default: 5 ms)
GIL_SWITCH_SECONDS = 0.0005


def post_fork(server, worker):  # noqa: ANN001, ARG001
    """Hand the GIL on after 0.5 ms instead of 5. A worker's thread that writes (SQLite's
    lock held, or a group commit open) gives up the GIL at every statement; with Python's
    default, another thread busy parsing a request could keep it for 5 ms each time, while
    the write lock stayed taken and every writer of both workers waited. Measured with
    benchmarks/bench_scans.py on SQLite: the app server went from about one core of two to
    1.1-1.5, and its capacity up by a fifth to three quarters (docs/benchmarks.md)."""
    import sys

    sys.setswitchinterval(GIL_SWITCH_SECONDS)


def post_worker_init(worker):  # noqa: ANN001
    """The app is loaded: keep what loading it made (modules, the app, its settings) out of
    the garbage collector's full passes, which otherwise walk all of it and stop every thread
    of the worker meanwhile: 45-70 ms a pass at full load before, 6-17 ms after
    (docs/benchmarks.md).

    Then, under `make run` (``EVENTNET_RUN_BANNER``), end the start-up output with where to
    go: once, when the last of the first workers is ready."""
    import gc

    gc.collect()
    gc.freeze()
    if not os.environ.get("EVENTNET_RUN_BANNER") or worker.age != workers:
        return
    import sys

    from eventnet.config import from_environ
    from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD

    url = from_environ()["EVENTNET_BASE_URL"]
    print(f"\neventnet is running: open {url}/ (organizers: {url}/organizer/sign-in)\n"
          f"Demo organizer sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}", file=sys.stderr,
          flush=True)
