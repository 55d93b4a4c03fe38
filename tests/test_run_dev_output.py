"""What ``make run`` / ``herald run-dev`` prints (issue 14, item 10): the address and the demo
login up front, each process announcing itself once, and then silence while nothing happens --
the periodic jobs (dispatcher, sweeper, drains, every few seconds) log nothing at INFO when
they find no work."""

from __future__ import annotations

import threading
import time

from tests.support.processes import start_run_dev, stop_process_group
from tests.support.smtp import free_port
from tests.test_devinbox import _wait_for_port
from webapp.cli import DEMO_EMAIL, DEMO_PASSWORD

QUIET_FOR = 15  # seconds: several turns of the scheduler's fast loop (about every 2 s)


def test_run_dev_prints_the_demo_login_then_stays_quiet(app, app_settings, tmp_path):
    web, smtp, inbound = free_port(), free_port(), free_port()
    proc = start_run_dev(
        app,
        app_settings,
        tmp_path,
        web,
        HERALD_SMTP_PORT=str(smtp),
        HERALD_INBOUND_PORT=str(inbound),
        HERALD_LOG_LEVEL="INFO",  # what make run uses
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        _wait_for_port(web, proc)
        _wait_for_port(inbound, proc)
        time.sleep(3)  # the scheduler leads and runs its first turns
        settled = len(lines)
        time.sleep(QUIET_FOR)
        later = lines[settled:]
    finally:
        stop_process_group(proc)
        reader.join(timeout=5)
    output = "".join(lines)
    assert f"Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in output
    assert f"Herald is starting at http://127.0.0.1:{web}" in output
    assert later == [], f"{len(later)} lines in {QUIET_FOR} s of doing nothing: {later[:6]}"
    for name in ("web", "worker", "scheduler", "inbound", "inbox"):
        assert sum(f" {name} " in line and "started (pid" in line for line in lines) == 1, name
