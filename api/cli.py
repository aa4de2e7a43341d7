"""Command-line tools: `flask --app wsgi db|seed|agency ...`."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from api.config import PROJECT_ROOT
from api.db import get_session
from content.accounts import service as accounts
from content.seed import loader

db_cli = AppGroup("db", help="Database migrations (Alembic).")
agency_cli = AppGroup("agency", help="Border-service agencies and their API keys.")


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def _alembic() -> AlembicConfig:
    return alembic_config(current_app.config["SETTINGS"].database_url)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    _make_sqlite_dir(current_app.config["SETTINGS"].database_url)
    command.upgrade(_alembic(), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    command.downgrade(_alembic(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    command.current(_alembic())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(_alembic(), message=message, autogenerate=True)


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also add demo statuses and 14 days of queues.")
@click.option(
    "--credentials-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --demo: write fresh demo agency keys to this file.",
)
def seed(demo: bool, credentials_file: Path | None) -> None:
    """Load reference data (idempotent); with --demo, demo data the first time."""
    session = get_session()
    count = loader.load_checkpoints(session)
    click.echo(f"reference data: {count} checkpoints")
    if demo:
        if loader.has_demo_data(session):
            click.echo("demo data: already there, left as it is")
        else:
            statuses, reports = loader.load_demo(session)
            click.echo(f"demo data: {statuses} statuses, {reports} queue reports")
        if credentials_file:
            keys = loader.issue_demo_keys(session)
            lines = [f"{country} agency key: {key}" for country, key in keys.items()]
            credentials_file.parent.mkdir(parents=True, exist_ok=True)
            credentials_file.write_text("\n".join(lines) + "\n")
            click.echo(f"demo agency keys written to {credentials_file}")
    session.commit()


@agency_cli.command("create")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. KZ")
@click.option("--name", required=True)
@click.option(
    "--checkpoint", "checkpoints", multiple=True, help="Narrow the key to these checkpoints"
)
def agency_create(country: str, name: str, checkpoints: tuple[str, ...]) -> None:
    """Create an agency and print its API key (shown only this once)."""
    session = get_session()
    agency = accounts.create_agency(session, country=country, name=name)
    _, raw_key = accounts.issue_key(session, agency=agency, checkpoint_ids=list(checkpoints))
    session.commit()
    click.echo(f"agency {agency.id} ({agency.country}) {agency.name}")
    click.echo(f"API key (store it now, it is not shown again): {raw_key}")


@agency_cli.command("rotate-key")
@click.argument("agency_id", type=int)
def agency_rotate_key(agency_id: int) -> None:
    """Revoke the agency's keys and print a new one."""
    session = get_session()
    agency = accounts.get_agency_or_raise(session, agency_id)
    _, raw_key = accounts.rotate_key(session, agency=agency)
    session.commit()
    click.echo(f"new API key for {agency.name}: {raw_key}")


@agency_cli.command("revoke")
@click.argument("agency_id", type=int)
def agency_revoke(agency_id: int) -> None:
    """Revoke every key of the agency at once."""
    session = get_session()
    agency = accounts.get_agency_or_raise(session, agency_id)
    count = accounts.revoke_keys(session, agency=agency)
    session.commit()
    click.echo(f"revoked {count} key(s) of {agency.name}")


@agency_cli.command("list")
def agency_list() -> None:
    """List agencies with their live keys' prefixes."""
    for agency in accounts.list_agencies(get_session()):
        live = [k.prefix for k in agency.keys if k.revoked_at is None]
        click.echo(f"{agency.id}\t{agency.country}\t{agency.name}\tkeys: {', '.join(live) or '-'}")


def _make_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed)
    app.cli.add_command(agency_cli)
