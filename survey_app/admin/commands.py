"""The ``flask`` commands that run a pulse: the admin area's pages, for a terminal.

``create-pulse``, ``import-roster``, ``invite``, ``add-people`` and
``delete-pulse``. Each goes through :mod:`survey_app.storage` like the pages
do; anything the user got wrong (a bad instrument, strategy or roster file,
an unknown pulse) is printed in full and ends with exit code 2, with nothing
stored. Every change is written to the audit log with the operating-system
user as actor.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis.instrument import SEGMENTS, InstrumentError
from analysis.strategy import Strategy, StrategyFileError, load_strategy
from survey_app import mail, storage
from survey_app.admin import pending
from survey_app.admin.forms import check_close_on
from survey_app.admin.instruments import read_instrument
from survey_app.admin.links import invitation_urls, links_csv
from survey_app.commands import (
    DEFAULT_BASE_URL,
    BadInput,
    _open_database,
    _unknown_survey,
    command_actor,
)

LINKS_FILE_WARNING = (
    "Whoever holds this file can learn who has answered (a link that still opens the "
    "survey belongs to someone who has not). Delete it once your mail system has sent it."
)

base_url_option = click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True,
    help="Where the app is served, to build full links.",
)


def _actor() -> str:
    """Who ran the command, for the audit log."""
    return command_actor()


def _pulse(db, slug: str) -> storage.Pulse:
    storage.close_due_pulses(db)
    pulse = storage.get_pulse(db, slug)
    if pulse is None:
        raise _unknown_survey(db, slug)
    return pulse


def _check_base_url(base_url: str) -> None:
    if not base_url.startswith(("http://", "https://")):
        raise BadInput(f"--base-url must start with http:// or https://, got {base_url!r}")


def _read_roster(path: Path):
    """The roster file's people; every problem printed and exit 2 otherwise."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        return storage.parse_roster(text, source=str(path))
    except storage.RosterError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise BadInput(f"nothing imported: {len(exc.problems)} problem(s) in {path}") from None


def _print_preview(preview) -> None:
    click.echo("People per reporting group:")
    for label, count in preview.groups:
        click.echo(f"  {label}\t{count}")
    if preview.merges:
        click.echo("Small groups merged (fewer than 5 people could be recognised):")
        for original, merged, count in preview.merges:
            click.echo(f"  {original} -> {merged}\t{count}")
    else:
        click.echo("No group needs merging.")


def _write_links_file(out: Path, rows) -> None:
    """The links CSV, readable by its owner only (it holds working links)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write the file ({exc.strerror})") from None
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(links_csv(rows))


def _deliver(db, pulse, *, emails, send: bool, out: Path | None, base_url: str) -> None:
    """Issue fresh links (everyone's unused ones, or ``emails``') and send or write them."""
    try:
        issued = storage.issue_links(db, pulse.slug, emails)
    except storage.StorageError as exc:
        raise BadInput(str(exc)) from None
    rows = invitation_urls(issued, base_url)
    if out is not None:
        _write_links_file(out, rows)
        storage.audit(db, _actor(), "download links", pulse.slug, f"{len(rows)} link(s) to {out}")
        click.echo(f"Wrote {len(rows)} link(s) to {out}.")
        click.echo(LINKS_FILE_WARNING)
        return
    if not send:
        return
    try:
        report = mail.send_links(
            mail.MailSettings.from_config(current_app.config), pulse_title=pulse.title,
            links=rows, outbox=mail.outbox_folder(current_app.instance_path, pulse.slug),
        )
    except mail.MailError as exc:
        raise BadInput(f"{exc}; the links issued just now were not all sent, run the "
                       "command again once the mail server works") from None
    storage.audit(db, _actor(), "send links", pulse.slug, f"{report.sent} mail(s)")
    if report.outbox is not None:
        click.echo(f"Wrote {report.sent} invitation mail(s) into {report.outbox}.")
    else:
        click.echo(f"Sent {report.sent} invitation mail(s).")
    for email, reason in report.refused:
        click.echo(f"refused by the mail server: {email}: {reason}", err=True)


@click.command("create-pulse")
@with_appcontext
@click.argument("slug")
@click.option("--instrument", "instrument_path", required=True,
              type=click.Path(path_type=Path), help="The instrument file (TOML).")
@click.option("--period", required=True, help="YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM.")
@click.option("--title", required=True, help="What respondents see.")
@click.option("--strategy", "strategy_path", type=click.Path(path_type=Path),
              help="The strategy statement (TOML, docs/strategy.md).")
@click.option("--breakdowns", default=",".join(storage.DEFAULT_BREAKDOWNS), show_default=True,
              help=f"Reporting breakdowns, comma-separated, from {', '.join(SEGMENTS)}.")
@click.option("--close-on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the pulse closes itself (YYYY-MM-DD).")
@click.option("--open-link", is_flag=True, help="Give the pulse a shared open link.")
def create_pulse_command(slug, instrument_path, period, title, strategy_path, breakdowns,
                         close_on: datetime | None, open_link):
    """Create a draft pulse from an instrument file and a strategy file.

    The instrument and strategy files are checked first; any problem is
    printed with the file, the item or field and what was expected (exit 2),
    and nothing is created.

    Example:

    \b
        flask --app survey_app create-pulse strategy-2027-q1 \\
            --instrument instruments/strategy-pulse.toml \\
            --strategy instruments/strategy-example.toml \\
            --period 2027-Q1 --title "Strategy pulse, Q1 2027" --close-on 2027-02-15
    """
    try:
        instrument, notes = read_instrument(instrument_path)
    except InstrumentError as exc:
        raise BadInput(str(exc)) from None
    for note in notes:
        click.echo(f"Warning: {note}", err=True)
    strategy = Strategy()
    if strategy_path is not None:
        try:
            strategy = load_strategy(strategy_path)
        except StrategyFileError as exc:
            raise BadInput(str(exc)) from None
    if close_on is not None and check_close_on(close_on.date()):
        raise BadInput(f"--close-on: {check_close_on(close_on.date())}")
    chosen = tuple(b.strip() for b in breakdowns.split(",") if b.strip())
    unknown = [b for b in chosen if b not in SEGMENTS]
    if unknown or not chosen:
        raise BadInput(f"--breakdowns {breakdowns!r}: expected a comma-separated list of "
                       f"{', '.join(SEGMENTS)}")
    db = _open_database()
    try:
        try:
            pulse = storage.create_pulse(
                db, slug=slug, title=title, period=period, instrument=instrument,
                strategy=strategy, open_link=open_link, breakdowns=chosen,
                close_on=close_on.date() if close_on else None,
            )
        except storage.StorageError as exc:
            raise BadInput(str(exc)) from None
        storage.audit(db, _actor(), "create pulse", slug,
              f"instrument {instrument.id} v{instrument.version}, period {period}")
    finally:
        db.close()
    click.echo(f"Created draft pulse '{pulse.slug}' ({pulse.period}) of {instrument.id} "
               f"v{instrument.version}, breakdowns {', '.join(chosen)}.")
    click.echo(f"Next: flask --app survey_app import-roster {slug} roster.csv")


@click.command("import-roster")
@with_appcontext
@click.argument("slug")
@click.argument("roster", type=click.Path(path_type=Path))
def import_roster_command(slug, roster: Path):
    """Import the people to invite from a CSV file and create their invitations.

    The file has a header row (email, department, team, tenure_band,
    role_level). It is checked whole first: any bad line prints every problem
    with its line and field, and nothing is imported (exit 2). Otherwise the
    counts per reporting group and the small groups to be merged are printed,
    then the roster is imported.

    Example:

    \b
        flask --app survey_app import-roster strategy-2027-q1 people.csv
        flask --app survey_app invite strategy-2027-q1 --send
    """
    db = _open_database()
    try:
        _pulse(db, slug)
        entries = _read_roster(roster)
        try:
            _print_preview(storage.preview_roster(db, slug, entries))
            count = storage.import_roster(db, slug, entries)
        except storage.StorageError as exc:
            raise BadInput(str(exc)) from None
        storage.audit(db, _actor(), "import roster", slug, f"{count} invitation(s) from {roster}")
    finally:
        db.close()
    click.echo(f"Imported {count} people into '{slug}'.")


@click.command("invite")
@with_appcontext
@click.argument("slug")
@click.option("--send", is_flag=True, help="Mail each person their link (or write the outbox).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the links to this CSV file instead (mode 0600).")
@base_url_option
def invite_command(slug, send: bool, out: Path | None, base_url: str):
    """Give everyone on the roster a new link: by mail, or in a CSV file.

    Links given before stop working. Without TRINITY_SMTP_HOST, --send writes
    one .eml file per person into instance/outbox/SLUG/. --out writes
    email,link rows with every cell guarded against spreadsheet formulas;
    whoever holds that file can learn who has answered.

    Example:

    \b
        flask --app survey_app invite strategy-2027-q1 --send --base-url https://pulse.example.com
        flask --app survey_app invite strategy-2027-q1 --out links.csv
    """
    if send == (out is not None):
        raise BadInput("give exactly one of --send or --out FILE")
    _check_base_url(base_url)
    db = _open_database()
    try:
        _deliver(db, _pulse(db, slug), emails=None, send=send, out=out, base_url=base_url)
    finally:
        db.close()


@click.command("add-people")
@with_appcontext
@click.argument("slug")
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the new people's links to this CSV file instead of mailing them.")
@base_url_option
def add_people_command(slug, roster: Path, out: Path | None, base_url: str):
    """Add late joiners to a pulse and mail them their links.

    The file is a roster CSV, checked the same way as import-roster: any bad
    line prints every problem and adds nobody (exit 2).

    Example:

    \b
        flask --app survey_app add-people strategy-2027-q1 joiners.csv
    """
    _check_base_url(base_url)
    db = _open_database()
    try:
        pulse = _pulse(db, slug)
        entries = _read_roster(roster)
        try:
            count = storage.add_people(db, slug, entries)
        except storage.StorageError as exc:
            raise BadInput(str(exc)) from None
        storage.audit(db, _actor(), "add people", slug, f"{count} invitation(s) from {roster}")
        click.echo(f"Added {count} people to '{slug}'.")
        _deliver(db, pulse, emails=[e.email for e in entries], send=out is None, out=out,
                 base_url=base_url)
    finally:
        db.close()


@click.command("delete-pulse")
@with_appcontext
@click.argument("slug")
@click.option("--confirm", required=True, help="The pulse's slug again, to confirm.")
def delete_pulse_command(slug, confirm: str):
    """Delete a pulse and everything in it: strategy, roster, invitations, responses.

    It cannot be undone; export the responses first if anyone needs them.

    Example:

    \b
        flask --app survey_app delete-pulse strategy-2027-q1 --confirm strategy-2027-q1
    """
    db = _open_database()
    try:
        _pulse(db, slug)
        try:
            storage.delete_pulse(db, slug, confirm=confirm)
        except storage.StorageError as exc:
            raise BadInput(str(exc)) from None
        storage.audit(db, _actor(), "delete pulse", slug)
    finally:
        db.close()
    pending.discard(current_app.instance_path, slug)
    mail.remove_outbox(current_app.instance_path, slug)
    click.echo(f"Deleted pulse '{slug}' and everything in it.")


COMMANDS = (
    create_pulse_command,
    import_roster_command,
    invite_command,
    add_people_command,
    delete_pulse_command,
)
