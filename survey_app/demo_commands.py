"""``flask demo``: a fictional organisation's two pulses, and where to start.

Kept apart from the other commands because it is a newcomer's first run, not
an operator's tool: it seeds the demo (``survey_app.demo``), writes its
links, accounts and invitation mails beside the database, and prints the
links and accounts to try. ``make run`` calls it with ``--if-empty``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis import csv_safe, files
from analysis.engines import is_postgres
from survey_app import storage
from survey_app.commands import DEFAULT_BASE_URL, BadInput, _open_database
from survey_app.config import DEFAULT_DATABASE_FILE


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
@click.option(
    "--reports/--no-reports",
    default=True,
    show_default=True,
    help="Compute the leaders' reports now, or leave each to be computed when it is "
         "first opened (or by refresh-reports): seeding then takes a second, not several.",
)
def demo_command(if_empty: bool, seed: int, base_url: str, reports: bool):
    """Fill the database with a fictional organisation and two quarterly pulses.

    Creates about 300 invitations, last quarter's closed pulse and this
    quarter's open one with an open link, and writes the unused invitation
    links (full URLs, from --base-url) to a CSV beside the database:
    instance/demo-invitations.csv for the default database,
    <name>-demo-invitations.csv beside any other. Only their hashes are
    stored, so that file is the only copy. Creates one account per role
    (the manager for Operations) with generated passwords, kept in
    demo-accounts.csv beside it (mode 0600). Prints the links and accounts,
    then computes the leaders' reports (unless --no-reports), so the first
    leader to sign in does not wait for them.

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
        if not reports:
            click.echo("Leaders' reports not computed (--no-reports): each is computed when "
                       "first opened, or run refresh-reports.")
            return
        click.echo("Computing the leaders' reports (once per published snapshot)...")
        from survey_app.reports.data import ensure_report

        for pulse in storage.list_pulses(db):
            if storage.latest_snapshot(db, pulse.slug) is not None:
                ensure_report(pulse.slug)
    finally:
        db.close()


DEMO_COMMANDS = (demo_command,)
