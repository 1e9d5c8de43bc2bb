"""The ``flask`` command line for running Trinity Pulse: database, export, reports.

The demo's command is in :mod:`survey_app.demo_commands`; accounts' and
pulses' in their blueprints (``auth/commands.py``, ``admin/commands.py``).

Every command opens its own connection with :func:`survey_app.db.connect`
and goes through :mod:`survey_app.storage`; none writes SQL. Anything the
user got wrong ends with one clear line on stderr and exit code 2.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis.engines import describe
from survey_app import db as dbmod
from survey_app import storage

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def command_actor() -> str:
    """Who ran a command, for the audit log: the operating-system user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER") or "unknown"
    return f"command line ({name})"


class BadInput(click.ClickException):
    """One clear line on stderr and exit code 2, for anything the user got wrong."""

    exit_code = 2


def _open_database():
    """Connect to the app's database and make sure its schema is current."""
    db = dbmod.connect(current_app.config["DATABASE"])
    dbmod.migrate(db)
    return db


def _unknown_survey(db, slug: str) -> BadInput:
    """The error for a slug no survey has, listing the ones that exist."""
    known = ", ".join(p.slug for p in storage.list_pulses(db)) or "none yet"
    return BadInput(f"no survey '{slug}' (known surveys: {known})")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or bring an existing one up to date.

    Safe on a populated database: migrations only add, every row is kept.
    The database file is ``$TRINITY_DATABASE``, by default
    ``instance/trinity.sqlite3``.

    Example:

    \b
        flask --app survey_app init-db
    """
    path = current_app.config["DATABASE"]
    db = dbmod.connect(path)
    try:
        applied = dbmod.migrate(db)
        version = dbmod.schema_version(db)
    finally:
        db.close()
    if applied:
        click.echo(f"Database {path}: applied migration(s) {', '.join(map(str, applied))}.")
    else:
        click.echo(f"Database {path}: already up to date.")
    click.echo(f"Schema version {version}.")


@click.command("export")
@with_appcontext
@click.option("--survey", "slug", required=True, help="Slug of the survey (pulse) to export.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write responses.csv and pulse.json into (created if missing).",
)
def export_command(slug: str, out_dir: Path):
    """Export one survey's anonymous responses for analysis.

    Writes responses.csv (one row per response, one column per question) and
    pulse.json (instrument, strategy statement, series), the format described
    in docs/export.md. Existing files of those names are replaced.

    Example:

    \b
        flask --app survey_app export --survey demo-2026-q4 --out exports/q4
        python -m analysis scores --csv exports/q4/responses.csv --pulse exports/q4/pulse.json
    """
    db = _open_database()
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise BadInput(f"--out {out_dir} exists and is not a folder")
        try:
            csv_path, json_path = storage.export_pulse(db, slug, out_dir)
        except storage.UnknownPulse:
            raise _unknown_survey(db, slug) from None
        count = storage.count_responses(db, slug)
        storage.audit(db, command_actor(), "export", slug, f"to {out_dir}")
    finally:
        db.close()
    click.echo(f"Exported {count} response(s) of '{slug}':")
    click.echo(f"  {csv_path}")
    click.echo(f"  {json_path}")


@click.command("pulse-status")
@with_appcontext
@click.argument("slug")
@click.argument("status", type=click.Choice(storage.STATUSES))
def pulse_status_command(slug: str, status: str):
    """Open, close or return a survey to draft.

    Only open surveys accept responses; a closed survey's links show a
    "this survey has closed" page.

    Example:

    \b
        flask --app survey_app pulse-status demo-2026-q4 closed
    """
    db = _open_database()
    try:
        storage.set_pulse_status(db, slug, status)
        storage.audit(db, command_actor(), f"pulse {status}", slug)
    except storage.UnknownPulse:
        raise _unknown_survey(db, slug) from None
    except storage.StorageError as exc:
        # A draft whose statement cannot grade its knowledge checks yet.
        raise BadInput(str(exc)) from None
    finally:
        db.close()
    click.echo(f"Survey '{slug}' is now {status}.")


@click.command("list-surveys")
@with_appcontext
def list_surveys_command():
    """List every survey with its period, status and response count.

    Example:

    \b
        flask --app survey_app list-surveys
    """
    db = _open_database()
    try:
        pulses = storage.list_pulses(db)
        if not pulses:
            click.echo("No surveys yet. Try: flask --app survey_app demo")
        for pulse in pulses:
            n = storage.count_responses(db, pulse.slug)
            click.echo(
                f"{pulse.slug}\t{pulse.period}\t{pulse.status}\t{n} response(s)\t{pulse.title}"
            )
    finally:
        db.close()



@click.command("refresh-reports")
@with_appcontext
@click.argument("slug", required=False)
def refresh_reports_command(slug: str | None):
    """Compute the leaders' report data of each pulse's latest snapshot.

    Pages compute it on first view otherwise (several seconds for a pulse of
    a few hundred responses; above REPORT_INLINE_MAX_RESPONSES in the
    background, showing the previous snapshot meanwhile); run this after a
    snapshot is published, e.g. from cron, so no leader waits. It builds in
    the foreground whatever the size. Already computed snapshots are skipped.

    Example:

    \b
        flask --app survey_app refresh-reports
        flask --app survey_app refresh-reports demo-2026-q4
    """
    from survey_app.reports.data import ensure_report

    db = _open_database()
    try:
        pulses = storage.list_pulses(db)
        if slug is not None and slug not in {p.slug for p in pulses}:
            raise _unknown_survey(db, slug)
        for pulse in pulses:
            if slug not in (None, pulse.slug):
                continue
            if storage.latest_snapshot(db, pulse.slug) is None:
                click.echo(f"{pulse.slug}: no published results yet")
                continue
            ensure_report(pulse.slug)
            click.echo(f"{pulse.slug}: report data ready")
    finally:
        db.close()


@click.command("backup")
@with_appcontext
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination: Path):
    """Copy the database to DESTINATION, without history or deleted rows.

    Uses SQLite's VACUUM INTO on one consistent snapshot, safe while the app
    is serving: the copy holds only the live rows, no write-ahead log (which
    would pair spent invitations with their responses) and no free pages
    (where deleted pulses' comments can linger). It is readable by its owner
    only (TRINITY_FILE_GROUP: one group too). Never copy the live files with
    cp instead; see docs/security.md.

    Example:

    \b
        flask --app survey_app backup /var/backups/trinity/2026-12-01.sqlite3
    """
    db = _open_database()
    try:
        written = storage.backup_database(db, destination)
    except storage.StorageError as exc:
        raise BadInput(str(exc)) from None
    finally:
        db.close()
    click.echo(f"Backed up {current_app.config['DATABASE']} to {written} "
               f"({written.stat().st_size} bytes, integrity ok).")


@click.command("copy-database")
@with_appcontext
@click.option("--to", "target", required=True, metavar="URL",
              help="The new database: a postgresql:// URL (or a SQLite file path), empty.")
def copy_database_command(target: str):
    """Copy everything in the app's database into a new, empty one, and check the counts.

    Moves a pulse (and everything else: accounts, audit log, reports, plans)
    from SQLite to PostgreSQL. The target is migrated first, then filled in
    one transaction; the row counts of every table are compared and printed,
    and any difference rolls the copy back. Stop the app (or keep it closed
    to answers) while copying, then point it at the new database with
    TRINITY_DATABASE_URL. See docs/deploy.md, "Moving from SQLite".

    Example:

    \b
        flask --app survey_app copy-database --to postgresql://trinity_app@db.example.org/trinity
    """
    from survey_app.storage.copy import copy_database

    source = _open_database()
    try:
        if os.path.abspath(str(target)) == os.path.abspath(str(current_app.config["DATABASE"])):
            raise BadInput("--to names the app's own database; give a new one")
        try:
            destination = dbmod.connect(target)
        except Exception as exc:
            raise BadInput(f"cannot open {describe(target)}: {str(exc).strip().splitlines()[0]}") from None
        try:
            dbmod.migrate(destination)
            counts = copy_database(source, destination)
        except storage.StorageError as exc:
            raise BadInput(str(exc)) from None
        finally:
            destination.close()
    finally:
        source.close()
    for table, count in counts.items():
        click.echo(f"{table:24} {count:>8} rows  (same as the source)")
    click.echo(f"Copied {sum(counts.values())} rows in {len(counts)} tables to {describe(target)}; "
               "every table's count matches.")


COMMANDS = (
    init_db_command,
    copy_database_command,
    backup_command,
    export_command,
    pulse_status_command,
    list_surveys_command,
    refresh_reports_command,
)


def register_commands(app) -> None:
    """Attach every command to ``app.cli``."""
    from survey_app.admin.commands import COMMANDS as ADMIN_COMMANDS
    from survey_app.auth.commands import ACCOUNT_COMMANDS
    from survey_app.demo_commands import DEMO_COMMANDS

    for command in COMMANDS + DEMO_COMMANDS + ACCOUNT_COMMANDS + ADMIN_COMMANDS:
        app.cli.add_command(command)
