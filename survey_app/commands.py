"""The ``flask`` command line for running Trinity Pulse: database, export, demo.

Every command opens its own connection with :func:`survey_app.db.connect`
and goes through :mod:`survey_app.storage`; none writes SQL. Anything the
user got wrong ends with one clear line on stderr and exit code 2.
"""

from __future__ import annotations

import csv
import getpass
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis import csv_safe, files
from analysis.engines import describe, is_postgres
from survey_app import db as dbmod
from survey_app import storage
from survey_app.config import DEFAULT_DATABASE_FILE

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


def _demo_links_csv() -> Path:
    """Where the demo writes its invitation links: beside the database they open.

    ``demo-invitations.csv`` next to the default ``trinity.sqlite3`` (so
    ``instance/demo-invitations.csv``); ``<name>-demo-invitations.csv`` next to
    any other database file. Each database keeps its own file, so seeding a
    second database (or running the tests) never overwrites the only copy of
    another database's links. A PostgreSQL database has no folder: its
    links go to ``<instance>/<dbname>-demo-invitations.csv``.
    """
    target = current_app.config["DATABASE"]
    if is_postgres(target):
        from psycopg.conninfo import conninfo_to_dict

        name = conninfo_to_dict(target).get("dbname") or "postgres"
        return Path(current_app.instance_path) / f"{name}-demo-invitations.csv"
    database = Path(target)
    if database.name == DEFAULT_DATABASE_FILE:
        return database.with_name("demo-invitations.csv")
    return database.with_name(f"{database.stem}-demo-invitations.csv")


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


def _unused_links(db, links_csv: Path) -> list[list[str]]:
    """The rows of the demo's links file whose link can still be answered.

    The file is written once, so after people (or a tester) answer some of
    its links it would send the next newcomer to "already answered": this
    keeps only links whose invitation is unused and open, and rewrites the
    file to match.
    """
    if not links_csv.exists():
        return []
    with links_csv.open(encoding="utf-8", newline="") as fh:
        # Written guarded (csv_safe): read back to the exact text.
        rows = [[csv_safe.unguard(cell) for cell in row] for row in csv.reader(fh)]
    if not rows:
        return []
    header, kept = rows[0], []
    for row in rows[1:]:
        token = row[0].rsplit("/s/", 1)[-1] if row else ""
        found = storage.find_invitation(db, token)
        if found is None or found.used:
            continue
        pulse = storage.get_pulse_row(db, found.pulse_slug)
        if pulse is not None and pulse["status"] == "open":
            kept.append(row)
    if len(kept) != len(rows) - 1:
        with files.open_private(links_csv, newline="") as fh:
            writer = csv_safe.writer(fh)
            writer.writerow(header)
            writer.writerows(kept)
    return kept


def _demo_accounts_csv() -> Path:
    """Where the demo keeps its accounts' passwords: beside its links file."""
    links = _demo_links_csv()
    return links.with_name(links.name.replace("invitations", "accounts"))


#: The department the demo's manager account looks after (the largest).
DEMO_MANAGER_DEPARTMENT = "Operations"


def _write_demo_accounts(path: Path, accounts) -> None:
    """The demo's accounts and passwords, readable by their owner only.

    Only hashes are stored, so this file is how a second ``make run`` can
    print them again; a real company creates its accounts with
    ``create-user`` and never has such a file.
    """
    with files.open_private(path, newline="") as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["email", "role", "password"])
        writer.writerows(accounts)


def _print_accounts(base_url: str, path: Path) -> None:
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        accounts = [{k: csv_safe.unguard(v) for k, v in row.items()}
                    for row in csv.DictReader(fh)]
    click.echo(f"Sign in at {base_url.rstrip('/')}/login with one of the demo accounts:")
    for account in accounts:
        click.echo(f"  {account['role']:<8} {account['email']}  password: {account['password']}")
    click.echo(f"(kept in {path}, readable by you only)")


def _demo_outbox(db, links_csv: Path) -> tuple[Path, int]:
    """Write the open demo pulse's invitation mails into its outbox folder.

    The same mails an admin's "send" writes when no SMTP server is set, so a
    newcomer sees what employees receive. Always the outbox, never SMTP:
    the demo's addresses are made up.
    """
    from survey_app.mail import MailSettings, outbox_folder, send_links

    rows = _unused_links(db, links_csv)
    token = rows[0][0].rsplit("/s/", 1)[-1] if rows else ""
    found = storage.find_invitation(db, token)
    if found is None:
        return Path(current_app.instance_path) / "outbox", 0
    pulse = storage.get_pulse(db, found.pulse_slug)
    outbox = outbox_folder(current_app.instance_path, pulse.slug)
    sender = current_app.config.get("MAIL_FROM") or "pulse@localhost"
    report = send_links(MailSettings(host=None, sender=sender), pulse_title=pulse.title,
                        links=[(email, url) for url, email in rows], outbox=outbox)
    return outbox, report.sent


def _print_start_here(db, base_url: str, sample_tokens=(), links_csv: Path | None = None):
    base = base_url.rstrip("/")
    open_pulses = [p for p in storage.list_pulses(db) if p.status == "open" and p.open_token]
    for pulse in open_pulses:
        click.echo(f"Open link for '{pulse.slug}' ({pulse.period}): {base}/o/{pulse.open_token}")
    if not open_pulses:
        click.echo("No open survey has an open link.")
    samples = [f"{base}/s/{token}" for token in sample_tokens]
    if links_csv is not None and not samples:
        samples = [row[0] for row in _unused_links(db, links_csv)[:5]]
    if samples:
        click.echo("Personal invitation links (each works once):")
        for url in samples:
            click.echo(f"  {url}")
    if links_csv is not None:
        if links_csv.exists():
            click.echo(f"All unused invitation links: {links_csv}")
        else:
            click.echo(f"No invitation link file at {links_csv}.")


@click.command("demo")
@with_appcontext
@click.option(
    "--if-empty",
    is_flag=True,
    help="Seed only when the database has no survey yet; otherwise just print where to start.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the demo.")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Where the app is served, to print full links.",
)
def demo_command(if_empty: bool, seed: int, base_url: str):
    """Fill the database with a fictional organisation and two quarterly pulses.

    Creates about 300 invitations, last quarter's closed pulse and this
    quarter's open one with an open link, and writes the unused invitation
    links (full URLs, from --base-url) to a CSV beside the database:
    instance/demo-invitations.csv for the default database,
    <name>-demo-invitations.csv beside any other. Only their hashes are
    stored, so that file is the only copy. Creates one account per role
    (the manager for Operations) with generated passwords, kept in
    demo-accounts.csv beside it (mode 0600). Prints the links and accounts.

    Example:

    \b
        flask --app survey_app demo --if-empty
        flask --app survey_app run
    """
    if not base_url.startswith(("http://", "https://")):
        raise BadInput(f"--base-url must start with http:// or https://, got {base_url!r}")
    links_csv = _demo_links_csv()
    db = _open_database()
    try:
        if if_empty and not storage.is_empty(db):
            click.echo("The database already has surveys; nothing seeded.")
            _print_start_here(db, base_url, links_csv=links_csv)
            _print_accounts(base_url, _demo_accounts_csv())
            return
        # Imported here: the demo's phrase banks are not needed by other commands.
        from survey_app.demo import generate_demo

        try:
            result = generate_demo(db, seed=seed, links_csv=links_csv, base_url=base_url)
        except (storage.StorageError, ValueError) as exc:
            # The generator refuses a database that already holds its pulses.
            raise BadInput(
                f"cannot seed the demo: {exc} (use --if-empty, or point TRINITY_DATABASE "
                "at a new file)"
            ) from None
        from survey_app.auth import create_demo_accounts

        accounts_csv = _demo_accounts_csv()
        _write_demo_accounts(accounts_csv, create_demo_accounts(db, DEMO_MANAGER_DEPARTMENT))
        outbox, mailed = _demo_outbox(db, result.invitation_links_csv)
        click.echo(result.summary)
        click.echo(f"Invitation mails for the {mailed} unused links are in {outbox} "
                   "(the outbox used when no TRINITY_SMTP_HOST is set).")
        _print_start_here(
            db,
            base_url,
            sample_tokens=result.sample_tokens[:5],
            links_csv=result.invitation_links_csv,
        )
        _print_accounts(base_url, accounts_csv)
        click.echo("Computing the leaders' reports (once per published snapshot)...")
        from survey_app.reports.data import ensure_report

        for pulse in storage.list_pulses(db):
            if storage.latest_snapshot(db, pulse.slug) is not None:
                ensure_report(pulse.slug)
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
    demo_command,
    refresh_reports_command,
)


def register_commands(app) -> None:
    """Attach every command to ``app.cli``."""
    from survey_app.admin.commands import COMMANDS as ADMIN_COMMANDS
    from survey_app.auth.commands import ACCOUNT_COMMANDS

    for command in COMMANDS + ACCOUNT_COMMANDS + ADMIN_COMMANDS:
        app.cli.add_command(command)
