"""The account commands: create-user, list-users, set-role, disable-user.

Run through ``app.test_cli_runner()``, whose standard input is not a
terminal, so the password is read from its first line, as a script would
pipe it. Every bad input must exit with code 2 and one clear message.
"""

from __future__ import annotations

import pytest

from survey_app import storage

PASSWORD = "a long enough password"


@pytest.fixture
def cli(auth_app):
    runner = auth_app.test_cli_runner()

    def invoke(*args, input=None):
        with auth_app.app_context():
            return runner.invoke(args=list(args), input=input)

    return invoke


def test_create_user_reads_the_password_from_stdin(cli, db, auth_app, login):
    result = cli("create-user", "Ana@Example.org", "--role", "admin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created ana@example.org, role admin." in result.output
    assert PASSWORD not in result.output
    user = storage.get_user_by_email(db, "ana@example.org")
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    assert login(auth_app.test_client(), "ana@example.org", PASSWORD).status_code == 303
    actions = [(e.actor, e.action, e.subject) for e in reversed(storage.list_audit(db))]
    assert actions == [("command line", "create account", "ana@example.org"),
                       ("ana@example.org", "login", "ana@example.org")]


def test_a_manager_is_created_with_a_department(cli, db):
    result = cli("create-user", "sam@example.org", "--role", "manager", "--department", "Sales",
                 input=PASSWORD + "\r\n")
    assert result.exit_code == 0, result.output
    assert "role manager (Sales)" in result.output
    assert storage.get_user_by_email(db, "sam@example.org").department == "Sales"


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x@example.org", "--role", "owner"], PASSWORD, "'owner' is not one of"),
        (["x@example.org", "--role", "manager"], PASSWORD, "a manager needs a department"),
        (["x@example.org", "--role", "ceo", "--department", "Sales"], PASSWORD,
         "only a manager has a department"),
        (["not-an-email", "--role", "analyst"], PASSWORD, "is not an email address"),
        (["x@example.org", "--role", "analyst"], "too short", "it needs at least 12"),
        (["x@example.org", "--role", "analyst"], "", "a password is required"),
        (["x@example.org"], PASSWORD, "Missing option '--role'"),
    ],
)
def test_create_user_refuses_bad_input_with_exit_code_2(cli, db, args, password, message):
    result = cli("create-user", *args, input=password + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert storage.list_users(db) == []


def test_create_user_refuses_a_duplicate_email(cli, db):
    assert cli("create-user", "bo@example.org", "--role", "analyst",
               input=PASSWORD + "\n").exit_code == 0
    again = cli("create-user", "BO@example.org", "--role", "ceo", input=PASSWORD + "\n")
    assert again.exit_code == 2
    assert "an account with email bo@example.org already exists" in again.output
    assert [u.role for u in storage.list_users(db)] == ["analyst"]


def test_list_set_role_and_disable(cli, db, auth_app, login):
    assert "No accounts yet" in cli("list-users").output
    cli("create-user", "lee@example.org", "--role", "analyst", input=PASSWORD + "\n")
    listed = cli("list-users")
    assert listed.exit_code == 0
    assert "lee@example.org\tanalyst\t-\tactive\tlast sign-in never" in listed.output

    moved = cli("set-role", "lee@example.org", "manager", "--department", "Finance")
    assert moved.exit_code == 0, moved.output
    assert "lee@example.org now has role manager (Finance)." in moved.output
    assert "manager\tFinance" in cli("list-users").output
    refused = cli("set-role", "lee@example.org", "manager")
    assert refused.exit_code == 2 and "a manager needs a department" in refused.output

    disabled = cli("disable-user", "lee@example.org")
    assert disabled.exit_code == 0 and "is disabled" in disabled.output
    assert "already disabled" in cli("disable-user", "lee@example.org").output
    assert login(auth_app.test_client(), "lee@example.org", PASSWORD).status_code == 403
    actions = [e.action for e in reversed(storage.list_audit(db))]
    assert actions == ["create account", "change role", "disable account"]


@pytest.mark.parametrize("command", [["set-role", "ghost@example.org", "analyst"],
                                     ["disable-user", "ghost@example.org"]])
def test_commands_on_an_unknown_email_exit_2(cli, command):
    result = cli(*command)
    assert result.exit_code == 2
    assert "no account with email 'ghost@example.org' (see list-users)" in result.output


def test_every_account_command_is_documented_in_the_readme():
    """README's Accounts section names each command, so the docs cannot drift."""
    from pathlib import Path

    from survey_app.auth.commands import ACCOUNT_COMMANDS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for command in ACCOUNT_COMMANDS:
        assert f"flask --app survey_app {command.name}" in readme, command.name


def test_on_a_terminal_the_password_is_asked_twice_and_not_echoed(tmp_path):
    """A real pseudo-terminal: click's hidden prompt, asked twice, never shown."""
    import os
    import pty
    import select
    import sys
    from pathlib import Path

    from survey_app.db import connect

    database = tmp_path / "tty.sqlite3"
    env = dict(os.environ, TRINITY_DATABASE=str(database), TRINITY_SECRET_KEY="k" * 32)
    flask = str(Path(sys.executable).with_name("flask"))
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes the command
        os.execve(flask, [flask, "--app", "survey_app", "create-user", "tty@example.org",
                          "--role", "analyst"], env)
    output = b""
    seen = 0  # output before this was matched already

    def read_until(marker: bytes) -> None:
        """Wait for ``marker`` after the last one matched (getpass drops type-ahead)."""
        nonlocal output, seen
        while marker not in output[seen:]:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, f"no {marker!r} after {output!r}"
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"ended before {marker!r}: {output!r}"
            output += chunk
        seen = output.index(marker, seen) + len(marker)

    try:
        read_until(b"Password: ")
        os.write(fd, PASSWORD.encode() + b"\n")
        read_until(b"Repeat for confirmation: ")
        os.write(fd, b"something else entirely\n")
        read_until(b"do not match")
        read_until(b"Password: ")
        os.write(fd, PASSWORD.encode() + b"\n")
        read_until(b"Repeat for confirmation: ")
        os.write(fd, PASSWORD.encode() + b"\n")
        read_until(b"Created tty@example.org")
    except BaseException:
        os.kill(pid, 9)  # a step failed: do not leave the command waiting for input
        raise
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert PASSWORD.encode() not in output and b"something else" not in output
    db = connect(database)
    try:
        assert storage.get_user_by_email(db, "tty@example.org").role == "analyst"
    finally:
        db.close()
