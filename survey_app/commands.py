"""The ``flask`` command line for running Trinity Pulse: database, export, demo."""

from __future__ import annotations

import click
from flask import current_app

from survey_app import db as dbmod


class BadInput(click.ClickException):
    """One clear line on stderr and exit code 2, for anything the user got wrong."""

    exit_code = 2


def _database():
    return dbmod.connect(current_app.config["DATABASE"])


@click.command("init-db")
def init_db_command():
    """Create the database, or bring an existing one up to date.

    Safe on a populated database: migrations only add, every row is kept.

    Example:

    \b
        flask --app survey_app init-db
    """
    path = current_app.config["DATABASE"]
    db = _database()
    try:
        applied = dbmod.migrate(db)
        version = dbmod.schema_version(db)
    finally:
        db.close()
    if applied:
        click.echo(f"Database {path}: applied migrations {', '.join(map(str, applied))}.")
    else:
        click.echo(f"Database {path}: already up to date.")
    click.echo(f"Schema version {version}.")


def register_commands(app) -> None:
    """Attach every command to ``app.cli``."""
    app.cli.add_command(init_db_command)
