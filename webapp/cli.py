"""Command line: ``herald <command>`` (or ``flask --app wsgi herald <command>``).

``herald worker`` and ``herald scheduler`` are declared in ``jobs/cli.py`` beside what they
start (``webapp`` never imports ``jobs``); ``wsgi.py`` and the console script add them.

``herald run-dev`` is what ``make run`` starts: the embedded Redis, then web, worker,
scheduler and the dev inbox together; Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from webapp.extensions import db

herald = AppGroup("herald", help="Herald administration.")

DEMO_EMAIL = "admin@demo.herald.example"
DEMO_PASSWORD = "herald-demo-123"  # noqa: S105 - the documented login of the local demo only


def register_commands(app: Flask) -> None:
    app.cli.add_command(herald)


@herald.command("create-org")
@click.argument("name")
@click.option("--timezone", default="UTC")
@click.option("--owner", "owner_email", help="Email of an existing user to make owner.")
def create_org_command(name: str, timezone: str, owner_email: str | None) -> None:
    """Create an organization."""
    from webapp.services.accounts.organizations import add_member, create_organization, find_user

    org = create_organization(name, timezone=timezone)
    if owner_email:
        user = find_user(owner_email)
        if user is None:
            raise click.ClickException(f"no user with email {owner_email}")
        add_member(org, user, "owner")
    db.session.commit()
    click.echo(f"created organization {org.name} ({org.slug}) id={org.id}")


@herald.command("create-user")
@click.argument("email")
@click.option("--org", "org_slug", help="Slug of the organization to join.")
@click.option("--role", default="admin", type=click.Choice(["owner", "admin", "editor", "viewer"]))
@click.option("--name", default="")
@click.password_option()
def create_user_command(email, org_slug, role, name, password) -> None:
    """Create a user (and add them to an organization)."""
    from sqlalchemy import select

    from webapp.models import Organization
    from webapp.services.accounts.organizations import add_member, create_user, find_user
    from webapp.services.accounts.passwords import password_problem

    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    if find_user(email):
        raise click.ClickException(f"a user with email {email} exists")
    user = create_user(email, password, name=name)
    if org_slug:
        org = db.session.scalars(select(Organization).where(Organization.slug == org_slug)).first()
        if org is None:
            raise click.ClickException(f"no organization with slug {org_slug}")
        add_member(org, user, role)
    db.session.commit()
    click.echo(f"created user {user.email}")


@herald.command("create-api-key")
@click.argument("org_slug")
@click.option("--name", default="CLI key")
@click.option("--scope", "scopes", multiple=True, default=["send", "read"], show_default=True)
def create_api_key_command(org_slug: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API key and print it once."""
    from sqlalchemy import select

    from webapp.models import Organization
    from webapp.services.accounts.api_keys import create_api_key

    org = db.session.scalars(select(Organization).where(Organization.slug == org_slug)).first()
    if org is None:
        raise click.ClickException(f"no organization with slug {org_slug}")
    try:
        _key, raw = create_api_key(org.id, name, list(scopes))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("This key is shown once. Store it now:")
    click.echo(raw)


@herald.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo organization and its admin login (once)."""
    from webapp.services.demo import seed_demo

    created = seed_demo(DEMO_EMAIL, DEMO_PASSWORD)
    db.session.commit()
    click.echo("seeded the demo organization" if created else "demo organization already there")


@herald.command("devinbox")
def devinbox_command() -> None:
    """Run the local SMTP inbox that stores every email it receives."""
    from webapp.services.devinbox import serve_forever

    settings = current_app.config["HERALD"]
    click.echo(f"dev inbox listening on {settings.smtp_host}:{settings.smtp_port}")
    serve_forever(settings.instance_path / "devinbox", settings.smtp_host, settings.smtp_port)


@herald.command("inbound")
@click.option("--host", default=None, help="Address to listen on (HERALD_INBOUND_HOST).")
@click.option("--port", default=None, type=int, help="Port (HERALD_INBOUND_PORT).")
def inbound_command(host: str | None, port: int | None) -> None:
    """Run the SMTP receiver for bounces, complaints and replies (docs/bounces.md)."""
    from webapp.services.inbound.receiver import serve_forever

    settings = current_app.config["HERALD"]
    host, port = host or settings.inbound_host, port or settings.inbound_port
    click.echo(f"herald inbound listening on {host}:{port}")
    serve_forever(current_app._get_current_object(), host, port)


@herald.command("run-dev")
@click.option("--port", default=5000, show_default=True)
def run_dev_command(port: int) -> None:
    """Start embedded Redis, web, worker, scheduler, inbound receiver and dev inbox; restart
    any that dies."""
    from webapp.config import load_settings
    from webapp.supervisor import Supervisor

    env = dict(os.environ)
    env["REDIS_URL"] = current_app.config["HERALD_REDIS_URL"]  # share the embedded server
    env.setdefault("HERALD_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("HERALD_DEV_INBOX", "true")  # the local inbox is the relay, unless told not
    env["PYTHONUNBUFFERED"] = "1"  # lines reach the terminal as they are written
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    supervisor = Supervisor()
    supervisor.add("web", [*flask, "run", "--port", str(port), "--no-reload"], env)
    supervisor.add("worker", [*flask, "herald", "worker"], env)
    supervisor.add("scheduler", [*flask, "herald", "scheduler"], env)
    supervisor.add("inbound", [*flask, "herald", "inbound"], env)  # bounces and replies
    if load_settings(environ=env).dev_inbox:
        supervisor.add("inbox", [*flask, "herald", "devinbox"], env)
    click.echo("")
    click.echo(f"  Herald is starting at {env['HERALD_PUBLIC_URL']}")
    click.echo(f"  Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    click.echo("  A process that stops is started again. Press Ctrl-C to stop everything.")
    click.echo("")
    sys.exit(supervisor.run())


def main() -> None:
    """The ``herald`` console script: the same commands as ``flask --app wsgi herald``."""
    from webapp import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=True)
    for name, command in herald.commands.items():
        cli.add_command(command, name)
    cli.main(prog_name="herald")
