"""The commands that run the background: ``herald worker`` and ``herald scheduler``.

They are declared here, beside the code they start, and added to the ``herald`` command group
by ``wsgi.py`` and by the ``herald`` console script (``main``), so that ``webapp`` never
imports ``jobs``.
"""

from __future__ import annotations

import click
from flask import current_app

from jobs.schedule import run_scheduler
from jobs.worker import run_worker
from webapp import cli


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.argument("queues", nargs=-1)
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker (each job inside an app context)."""
    run_worker(current_app._get_current_object(), list(queues) or None, burst=burst)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler for periodic jobs (one or two per deployment)."""
    run_scheduler(current_app._get_current_object())


def register() -> None:
    """Add the commands to the ``herald`` group (once; safe to call again)."""
    for command in (worker_command, scheduler_command):
        cli.herald.add_command(command)


def main() -> None:
    """The ``herald`` console script."""
    register()
    cli.main()
