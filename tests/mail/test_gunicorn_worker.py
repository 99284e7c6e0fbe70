"""`gunicorn -c gunicorn.conf.py` (what `make run` starts) runs the delivery worker beside
the app, and takes it along when it dies."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from eventnet.database import write_transaction
from eventnet.mail.compose import Rendered
from eventnet.mail.outbox import queue_email
from tests.conftest import free_port
from tests.mail.conftest import worker_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> dict[int, str]:
    """The live processes whose parent is ``pid``, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    return found


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_the_app_server_delivers_what_was_left_and_takes_its_worker_along(
        app: Any, smtp: Any, tmp_path: Path) -> None:
    app.config["MAIL_SYNC"] = False
    with write_transaction():  # left in the queue by a sender that died
        queue_email(kind="test", to="left@example.org", from_address="o@example.org",
                    rendered=Rendered("Hi", "Text\n", ""))
    env = worker_env(app, smtp, GUNICORN_BIND=f"127.0.0.1:{free_port()}",
                     GUNICORN_WORKERS="1", GUNICORN_ACCESSLOG="")
    env.pop("EVENTNET_OUTBOX_WORKER", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        master = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c",
                                   "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not smtp.to("left@example.org"):
                assert master.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            children = _children(master.pid)
            assert [pid for pid, command in children.items() if "outbox work" in command]
        finally:
            master.kill()
            master.wait(timeout=30)
    deadline = time.monotonic() + 60
    while any(_is_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _is_running(pid)], "left running after the master"


def test_a_worker_whose_parent_is_gone_stops_by_itself(app: Any, smtp: Any) -> None:
    """Where the kernel cannot be asked (not Linux), the loop notices by itself: told that
    a process which is not its parent started it, it stops at once."""
    from tests.mail.conftest import eventnet_command

    done = subprocess.run(eventnet_command("outbox", "work", "--loop", "--with-parent", "1"),
                          env=worker_env(app, smtp), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "is gone" in done.stderr
