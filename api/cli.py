"""Command-line tools: `flask --app wsgi db|seed|agency ...`."""

from __future__ import annotations

import getpass
import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.config import PROJECT_ROOT, Settings
from api.db import get_db, get_session
from content import checks
from content.accounts import service as accounts
from content.accounts.models import Role
from content.campaigns import service as campaigns
from content.checkpoints import crowd, forecast, history, planned
from content.customs import service as customs
from content.errors import Invalid
from content.seed import loader
from push import devices, outbox, pace
from push.fake_fcm import MESSAGES_PER_MINUTE, SUBSCRIPTIONS_PER_SECOND, FakeFCMServer
from push.senders import FCMSender, LogSender, Sender, fake_service_account
from push.worker import RetryPolicy, Worker

db_cli = AppGroup("db", help="Database migrations (Alembic).")
agency_cli = AppGroup("agency", help="Border-service agencies and their API keys.")
push_cli = AppGroup("push", help="Push notifications: the worker, broadcasts, stats.")
user_cli = AppGroup("user", help="Console users.")
SCHEDULE_INTERVAL_SECONDS = 30
#: the worker refreshes the forecasts this long after each hour begins, when the last
#: hour's reports are in
FORECAST_REFRESH_DELAY = timedelta(minutes=1)


def cli_actor() -> accounts.Actor:
    """Who runs a command, as the audit log names them: the operating-system user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor in the passwd file
        name = f"uid{os.getuid()}"
    return accounts.Actor(f"cli:{name}")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", help="For border officers: their country (ISO code)")
@click.password_option(help="At least 12 characters")
def user_create(email: str, role: str, country: str | None, password: str) -> None:
    """Create a console user."""
    session = get_session()
    user = accounts.create_user(
        session, actor=cli_actor(), email=email, password=password, role=Role(role), country=country
    )
    session.commit()
    click.echo(f"user {user.id} {user.email} ({user.role.value})")


def _change_user(email: str, change: Callable[..., None], done: str, **options: Any) -> None:
    """Make one audited change to the user with EMAIL, commit it, and say what was done."""
    session = get_session()
    user = accounts.get_user_by_email_or_raise(session, email)
    change(session, actor=cli_actor(), user=user, **options)
    session.commit()
    click.echo(f"{email}: {done}")


@user_cli.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable a user: every session and token of theirs ends at once."""
    _change_user(email, accounts.set_disabled, "disabled; sessions and tokens ended", disabled=True)


@user_cli.command("enable")
@click.argument("email")
def user_enable(email: str) -> None:
    """Enable a disabled user again (they sign in afresh)."""
    _change_user(email, accounts.set_disabled, "enabled", disabled=False)


@user_cli.command("set-role")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", help="For border officers: their country (ISO code)")
def user_set_role(email: str, role: str, country: str | None) -> None:
    """Give a user another role; their sessions and tokens end."""
    _change_user(
        email,
        accounts.set_role,
        f"now {role}; sessions and tokens ended",
        role=Role(role),
        country=country,
    )


@user_cli.command("sign-out-everywhere")
@click.argument("email")
def user_sign_out_everywhere(email: str) -> None:
    """End every console session and bearer token of a user at once."""
    _change_user(email, accounts.sign_out_everywhere, "every session and token ended")


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
@click.option("--demo", is_flag=True, help="Also add demo statuses and 16 weeks of hourly queues.")
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
    try:
        loaded = loader.load_customs(session)
    except loader.SeedError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"customs: {loaded.added} new rules, {loaded.revised} revised from the files, "
        f"{loaded.withdrawn} withdrawn (no longer in the files), "
        f"{loaded.substances_added} new substances, {loaded.substances_replaced} replaced"
    )
    if loaded.kept_edited:
        click.echo(
            f"customs: {loaded.kept_edited} rules or substances differ from the files but "
            "were changed by an editor since: left as the editor made them"
        )
    if demo:
        if loader.has_demo_data(session):
            click.echo("demo data: already there, left as it is")
        else:
            statuses, reports = loader.load_demo(session)
            click.echo(f"demo data: {statuses} statuses, {reports} queue reports")
        rates = loader.load_demo_rates(session)
        click.echo(f"demo exchange rates: {rates}")
        campaigns_loaded = loader.load_demo_campaigns(session)
        click.echo(f"demo campaigns: {campaigns_loaded} published")
        if credentials_file:
            keys, logins = loader.issue_demo_credentials(session, actor=cli_actor())
            lines = [f"{country} agency key: {key}" for country, key in keys.items()]
            lines += [f"console login: {email}  password: {pw}" for email, pw in logins.items()]
            credentials_file.parent.mkdir(parents=True, exist_ok=True)
            credentials_file.write_text("\n".join(lines) + "\n")
            click.echo(f"demo agency keys written to {credentials_file}")
    session.commit()


@agency_cli.command("create")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. KZ")
@click.option("--name", required=True)
@click.option(
    "--checkpoint", "checkpoints", multiple=True, help="Narrow the agency to these checkpoints"
)
def agency_create(country: str, name: str, checkpoints: tuple[str, ...]) -> None:
    """Create an agency and print its API key (shown only this once)."""
    session = get_session()
    actor = cli_actor()
    agency = accounts.create_agency(
        session, actor=actor, country=country, name=name, checkpoint_ids=list(checkpoints)
    )
    _key, raw_key = accounts.issue_key(session, actor=actor, agency=agency)
    session.commit()
    click.echo(f"agency {agency.id} ({agency.country}) {agency.name}")
    click.echo(f"scope: {accounts.scope_label(agency)}")
    click.echo(f"API key (store it now, it is not shown again): {raw_key}")


@agency_cli.command("set-scope")
@click.argument("agency_id", type=int)
@click.option("--checkpoint", "checkpoints", multiple=True, help="Narrow to these checkpoints")
@click.option("--whole-country", is_flag=True, help="Widen to every checkpoint of the country")
def agency_set_scope(agency_id: int, checkpoints: tuple[str, ...], whole_country: bool) -> None:
    """Change which checkpoints the agency's keys may post for (its keys stay as they are)."""
    if bool(checkpoints) == whole_country:
        raise click.UsageError("give either --checkpoint (one or more) or --whole-country")
    session = get_session()
    agency = accounts.get_agency_or_raise(session, agency_id)
    accounts.set_scope(
        session, actor=cli_actor(), agency=agency, checkpoint_ids=list(checkpoints) or None
    )
    session.commit()
    click.echo(f"scope of {agency.name}: {accounts.scope_label(agency)}")


@agency_cli.command("rotate-key")
@click.argument("agency_id", type=int)
def agency_rotate_key(agency_id: int) -> None:
    """Revoke the agency's keys and print a new one (the agency's scope stays)."""
    session = get_session()
    agency = accounts.get_agency_or_raise(session, agency_id)
    _key, raw_key = accounts.rotate_key(session, actor=cli_actor(), agency=agency)
    session.commit()
    click.echo(f"scope: {accounts.scope_label(agency)}")
    click.echo(f"new API key for {agency.name}: {raw_key}")


@agency_cli.command("revoke")
@click.argument("agency_id", type=int)
def agency_revoke(agency_id: int) -> None:
    """Revoke every key of the agency at once."""
    session = get_session()
    agency = accounts.get_agency_or_raise(session, agency_id)
    count = accounts.revoke_keys(session, actor=cli_actor(), agency=agency)
    session.commit()
    click.echo(f"revoked {count} key(s) of {agency.name}")


@agency_cli.command("list")
def agency_list() -> None:
    """List agencies with their scope and their live keys' prefixes."""
    for agency in accounts.list_agencies(get_session()):
        live = [k.prefix for k in agency.keys if k.revoked_at is None]
        click.echo(
            f"{agency.id}\t{agency.country}\t{agency.name}\t"
            f"scope: {accounts.scope_label(agency)}\tkeys: {', '.join(live) or '-'}"
        )


def build_sender(settings: Settings) -> Sender:
    """The sender PUSH_BACKEND names."""
    if settings.push_backend == "log":
        return LogSender()
    if settings.push_backend == "fake":
        account = fake_service_account(
            settings.fake_fcm_url, PROJECT_ROOT / "instance" / "fake-service-account.json"
        )
        return FCMSender(
            credentials=account,
            base_url=settings.fake_fcm_url,
            http_timeout=settings.fcm_http_timeout_seconds,
        )
    credentials: dict[str, Any] | str = settings.firebase_credentials
    if settings.firebase_credentials.lstrip().startswith("{"):
        credentials = json.loads(settings.firebase_credentials)
    return FCMSender(
        credentials=credentials,
        project_id=settings.firebase_project_id or None,
        http_timeout=settings.fcm_http_timeout_seconds,
    )


def build_worker(settings: Settings, sessions: sessionmaker[Session]) -> Worker:
    """A worker keeping to the pace every worker shares (Redis, else the database)."""
    return Worker(
        sessions,
        build_sender(settings),
        lease=timedelta(seconds=settings.push_lease_seconds),
        retry=RetryPolicy(max_attempts=settings.push_max_attempts),
        shared_pace=pace.build(settings.redis_url, sessions),
        sends_per_minute=settings.push_sends_per_minute,
        subscriptions_per_second=settings.push_subscriptions_per_second,
    )


@push_cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is due now, then stop.")
def push_worker(once: bool) -> None:
    """Drain the outbox through the configured sender until stopped (SIGTERM, Ctrl-C)."""
    settings: Settings = current_app.config["SETTINGS"]
    worker = build_worker(settings, get_db().sessionmaker)
    if once:
        total = 0
        while handled := worker.run_once():
            total += handled
        click.echo(f"handled {total} outbox message(s)")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = threading.Thread(
        target=_apply_schedules,
        args=(settings, get_db().sessionmaker, stop),
        name="schedules",
        daemon=True,
    )
    scheduler.start()
    forecaster = threading.Thread(
        target=_refresh_forecasts,
        args=(get_db().sessionmaker, stop),
        name="forecast-refresh",
        daemon=True,
    )
    forecaster.start()
    click.echo(f"push worker {worker.name}: sending through {settings.push_backend}")
    worker.run_forever(stop)


def _apply_schedules(
    settings: Settings, sessions: sessionmaker[Session], stop: threading.Event
) -> None:
    """On time, next to the push worker: publish and withdraw scheduled campaigns, start
    and end planned closures, and delete crowd reports past their retention. Each in a
    transaction of its own, so that one failing does not hold the others back."""
    while not stop.is_set():
        try:
            with sessions() as session:
                for done in campaigns.apply_schedules(
                    session, require_complete=settings.campaigns_require_all_locales
                ):
                    click.echo(f"schedule: {done}")
                session.commit()
        except Exception:  # a database hiccup must not stop the scheduler
            logging.getLogger(__name__).exception("applying campaign schedules failed")
        try:
            with sessions() as session:
                for done in planned.apply_planned(session):
                    click.echo(f"planned: {done}")
                session.commit()
        except Exception:  # a database hiccup must not stop the scheduler
            logging.getLogger(__name__).exception("applying planned closures failed")
        try:
            with sessions() as session:
                # the retention README promises, kept without a cron job
                if pruned := crowd.prune(session):
                    click.echo(f"crowd: deleted {pruned} report(s) older than 30 days")
                session.commit()
        except Exception:  # a database hiccup must not stop the scheduler
            logging.getLogger(__name__).exception("pruning crowd reports failed")
        try:
            with sessions() as session:
                retention = timedelta(days=settings.device_retention_days)
                if pruned := devices.prune(session, older_than=retention):
                    click.echo(f"devices: deleted {pruned} unseen for {retention.days} days")
                session.commit()
        except Exception:  # a database hiccup must not stop the scheduler
            logging.getLogger(__name__).exception("pruning unseen devices failed")
        stop.wait(SCHEDULE_INTERVAL_SECONDS)


def _refresh_forecasts(sessions: sessionmaker[Session], stop: threading.Event) -> None:
    """Refresh every lane's forecast at start, then a minute into every hour."""
    while not stop.is_set():
        try:
            with sessions() as session:
                started = time.perf_counter()
                result = forecast.refresh(session)
                session.commit()
                click.echo(
                    f"forecast: refreshed {result.refreshed} lane(s), {result.shown} shown, "
                    f"in {time.perf_counter() - started:.1f} s"
                )
        except Exception:  # a database hiccup must not stop the refreshes
            logging.getLogger(__name__).exception("refreshing the forecasts failed")
        stop.wait(seconds_until_next_refresh(datetime.now(UTC)))


def seconds_until_next_refresh(now: datetime) -> float:
    """Seconds from now to a minute past the next hour."""
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return (next_hour + FORECAST_REFRESH_DELAY - now).total_seconds()


forecast_cli = AppGroup("forecast", help="Queue forecasts and their backtested accuracy.")


@forecast_cli.command("refresh")
def forecast_refresh() -> None:
    """Compute and store the forecast of every road lane with history (the push worker
    does it every hour)."""
    session = get_session()
    started = time.perf_counter()
    result = forecast.refresh(session)
    session.commit()
    click.echo(
        f"refreshed {result.refreshed} lane forecast(s), {result.shown} shown, "
        f"in {time.perf_counter() - started:.1f} s"
    )


history_cli = AppGroup("history", help="Queue history housekeeping.")


@history_cli.command("prune")
@click.option("--older-than-days", type=int, default=400, show_default=True)
@click.option("--batch-size", type=int, default=5000, show_default=True)
@click.option("--pause", type=float, default=0.05, help="Seconds between batches")
@click.option(
    "--crowd-older-than-days",
    type=click.IntRange(min=1),
    default=crowd.RETENTION.days,
    show_default=True,
    help="Delete travellers' crowd reports received longer ago than this",
)
def history_prune(
    older_than_days: int, batch_size: int, pause: float, crowd_older_than_days: int
) -> None:
    """Roll raw queue reports older than N days into hourly aggregates, then delete them;
    delete crowd reports older than 30 days (the push worker also does it every 30 s).

    Works in small batches, each its own short transaction, so the table stays writable.
    """
    session = get_session()
    pruned = crowd.prune(session, older_than=timedelta(days=crowd_older_than_days))
    session.commit()
    click.echo(f"deleted {pruned} crowd report(s)")
    total = 0
    while True:
        deleted = history.prune(
            session, older_than=timedelta(days=older_than_days), batch_size=batch_size
        )
        session.commit()
        total += deleted
        if not deleted:
            break
        time.sleep(pause)
    click.echo(f"rolled up and deleted {total} queue report(s)")


content_cli = AppGroup("content", help="What the service tells travellers.")


@content_cli.command("check")
@with_appcontext
@click.option(
    "--seed-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=checks.SEED_DIR,
    show_default=True,
    help="The seed files to check.",
)
@click.option("--no-database", is_flag=True, help="Check the seed files and catalogs only.")
def content_check(seed_dir: Path, no_database: bool) -> None:
    """Check the seed files, the catalogs and the database: glossary, scripts, sources,
    date precision, partner distances, hours, demo labels, languages. Exits 1 on any
    problem."""
    problems = checks.run(checks.seed_facts(seed_dir), catalogs=True)
    if not no_database:
        absent = _database_absent()
        if absent:
            click.echo(f"content check: {absent}: checked the seed files and catalogs only")
        else:
            problems += checks.run(checks.database_facts(get_session()))
    if not problems:
        click.echo("content check: no problems")
        return
    width = max(len(p.where) for p in problems)
    for p in sorted(problems, key=lambda p: (p.check, p.where)):
        click.echo(f"{p.check:<17} {p.where:<{width}}  {p.text}")
    counts = ", ".join(
        f"{n} {check}" for check, n in sorted(Counter(p.check for p in problems).items())
    )
    raise click.ClickException(f"content check: {len(problems)} problems ({counts})")


def _database_absent() -> str | None:
    """Why there is no database to check (none made yet, or not migrated), or None.

    A database that is there but does not answer is an error, not a reason to skip."""
    url = current_app.config["SETTINGS"].database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return f"no database at {url} yet (`make seed` makes one)"
    try:
        migrated = inspect(get_session().connection()).has_table("checkpoint")
    except OperationalError as error:
        raise click.ClickException(
            f"content check: the database does not answer: {error.orig}"
        ) from error
    return None if migrated else "the database has no tables yet (`flask db upgrade`)"


customs_cli = AppGroup("customs", help="Customs rules and exchange rates.")


@customs_cli.command("set-rate")
@click.argument("currency")
@click.argument("per_usd", type=float)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
@click.option("--source", required=True, help="Where the rate comes from (e.g. a national bank)")
def customs_set_rate(currency: str, per_usd: float, as_of: datetime, source: str) -> None:
    """Record how many units of CURRENCY one US dollar buys, on a date."""
    session = get_session()
    rate = customs.set_rate(
        session,
        actor=cli_actor(),
        currency=currency,
        per_usd=per_usd,
        as_of=as_of.date(),
        source=source,
    )
    session.commit()
    click.echo(f"{rate.currency}: {rate.per_usd} per USD as of {rate.as_of}")


@click.command("apply-schedules")
@with_appcontext
def apply_schedules() -> None:
    """Publish and withdraw campaigns whose scheduled time has come (the worker does it too)."""
    session = get_session()
    settings: Settings = current_app.config["SETTINGS"]
    for done in campaigns.apply_schedules(
        session, require_complete=settings.campaigns_require_all_locales
    ):
        click.echo(done)
    session.commit()


@click.command("apply-planned")
@with_appcontext
def apply_planned() -> None:
    """Start and end planned closures and restrictions whose time has come (the worker
    does it too)."""
    session = get_session()
    for done in planned.apply_planned(session):
        click.echo(done)
    session.commit()


@push_cli.command("fake-fcm")
@click.option("--port", type=int, default=8001)
@click.option("--log", "log_path", type=click.Path(dir_okay=False), help="JSON-lines log file")
@click.option("--messages-per-minute", type=int, default=MESSAGES_PER_MINUTE, show_default=True)
@click.option(
    "--subscriptions-per-second", type=int, default=SUBSCRIPTIONS_PER_SECOND, show_default=True
)
def push_fake_fcm(
    port: int, log_path: str | None, messages_per_minute: int, subscriptions_per_second: int
) -> None:
    """Run the local fake FCM server (development and tests only), with FCM's quotas."""
    server = FakeFCMServer(
        port,
        log_path=log_path,
        echo=True,
        messages_per_minute=messages_per_minute,
        subscriptions_per_second=subscriptions_per_second,
    )
    click.echo(f"fake FCM listening on {server.url}")
    server.serve_forever()


@push_cli.command("prune")
@click.option("--batch-size", type=int, default=500, show_default=True)
def push_prune(batch_size: int) -> None:
    """Delete devices the app has not been seen with for DEVICE_RETENTION_DAYS (270 by
    default, as FCM's token expiry suggests), with their follows and alerts; their topic
    subscriptions are left by the worker. The push worker also does it every 30 s."""
    settings: Settings = current_app.config["SETTINGS"]
    retention = timedelta(days=settings.device_retention_days)
    session = get_session()
    total = 0
    while pruned := devices.prune(session, older_than=retention, batch_size=batch_size):
        session.commit()
        total += pruned
    session.commit()
    click.echo(f"deleted {total} device(s) unseen for {retention.days} days")


@push_cli.command("broadcast")
@click.argument("texts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", type=click.Choice(["all", "country", "checkpoint"]), default="all")
@click.option("--target-id", help="Country code or checkpoint id, with --target")
@click.option("--send-at", type=click.DateTime(formats=["%Y-%m-%dT%H:%M%z"]), help="UTC offset")
@click.option("--dry-run", is_flag=True, help="Show the audience per language; send nothing.")
@click.option(
    "--confirm-audience", type=int, help="To send: the audience total the dry run showed."
)
def push_broadcast(
    texts_file: Path,
    target: str,
    target_id: str | None,
    send_at: datetime | None,
    dry_run: bool,
    confirm_audience: int | None,
) -> None:
    """Send a broadcast. TEXTS_FILE is JSON: {"kk": {"title": …, "body": …}, …}.

    Run it with --dry-run first, then again with --confirm-audience and the total it showed.
    """
    session = get_session()
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    try:
        if dry_run:
            _, audience = outbox.check_broadcast(
                session, target=target, target_id=target_id, send_at=send_at
            )
            for locale, count in audience.items():
                title = texts.get(locale, {}).get("title", "(missing)")
                click.echo(f"{locale}: {count} device(s): {title}")
            total = sum(audience.values())
            click.echo(f"audience: {total}; to send, repeat with --confirm-audience {total}")
            return
        broadcast, total = outbox.create_broadcast(
            session,
            actor=cli_actor(),
            texts=texts,
            target=target,
            target_id=target_id,
            send_at=send_at,
            confirm_audience=confirm_audience,
        )
    except Invalid as refused:
        problems = "; ".join(f"{p.path}: {p.message % p.params}" for p in refused.problems)
        raise click.ClickException(problems) from None
    session.commit()
    click.echo(
        f"broadcast {broadcast.id} queued for {broadcast.send_at.isoformat()} to {total} device(s)"
    )


@push_cli.command("stats")
@click.option("--days", type=int, default=7)
def push_stats(days: int) -> None:
    """Queued, sent, retried, dead and pruned messages per day and kind; the backlog."""
    session = get_session()
    for row in outbox.daily_stats(session, days=days):
        counts = " ".join(f"{name}={row[name]}" for name in outbox.STAT_NAMES)
        click.echo(f"{row['day']} {row['kind']:<18} {counts}")
    backlog = outbox.backlog(session)
    click.echo(
        f"pending {backlog['pending']} (held by the hourly cap {backlog['held']}), "
        f"oldest due {backlog['oldest_due_seconds']:.0f} s"
    )


def _make_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed)
    app.cli.add_command(agency_cli)
    app.cli.add_command(push_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(apply_schedules)
    app.cli.add_command(apply_planned)
    app.cli.add_command(customs_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(history_cli)
    app.cli.add_command(forecast_cli)
