"""survey_app.mail: the invitation text, the outbox files, and real SMTP.

The SMTP tests talk to a small SMTP server on localhost (``smtp_server`` in
conftest), so what smtplib actually sends over the wire is what is checked.
"""

from __future__ import annotations

import email
import email.policy
import re
import stat

import pytest

from survey_app import create_app
from survey_app.config import Config
from survey_app.mail import (
    MailError,
    MailSettings,
    anonymity_promise,
    invitation_message,
    outbox_file_name,
    send_links,
)

LINKS = [("ann@example.com", "http://x/s/tok-ann"), ("bob@example.com", "http://x/s/tok-bob")]


def read_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_the_mail_is_plain_text_with_title_link_and_the_promise():
    message = invitation_message(to="ann@example.com", pulse_title="Q1 pulse",
                                 link="http://x/s/tok", sender="hr@example.com")
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "Q1 pulse" in body and "http://x/s/tok" in body
    assert anonymity_promise() in body
    assert anonymity_promise().count(".") == 1, "the promise is one sentence"
    assert message["To"] == "ann@example.com" and message["From"] == "hr@example.com"


def test_a_title_with_a_line_break_cannot_add_a_header():
    message = invitation_message(to="a@example.com", pulse_title="Q1\nBcc: evil@example.com",
                                 link="http://x/s/t", sender="hr@example.com")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Your link to the pulse survey: Q1 Bcc: evil@example.com"


def test_without_a_host_each_mail_is_a_private_eml_file(tmp_path):
    outbox = tmp_path / "outbox" / "q1"
    report = send_links(MailSettings(host=None, sender="hr@example.com"),
                        pulse_title="Q1 pulse", links=LINKS, outbox=outbox)
    assert report.sent == 2 and report.outbox == outbox
    files = sorted(outbox.iterdir())
    assert [f.name for f in files] == sorted(outbox_file_name(e) for e, _ in LINKS)
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    for path, (address, link) in zip(files, LINKS):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        parsed = read_eml(path)
        assert parsed["To"] == address and link in parsed.get_content()


def test_resending_replaces_the_persons_file_and_keeps_it_private(tmp_path):
    """The outbox must never hold a dead link beside the live one."""
    outbox = tmp_path / "outbox"
    settings = MailSettings(host=None)
    send_links(settings, pulse_title="Q1", links=LINKS[:1], outbox=outbox)
    path = outbox / outbox_file_name("ann@example.com")
    path.chmod(0o644)
    send_links(settings, pulse_title="Q1", links=[("ann@example.com", "http://x/s/new")],
               outbox=outbox)
    assert [p.name for p in outbox.iterdir()] == [path.name]
    assert "http://x/s/new" in read_eml(path).get_content()
    assert "tok-ann" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_addresses_that_clean_up_alike_get_different_files():
    assert outbox_file_name("a/b@example.com") != outbox_file_name("a_b@example.com")


def test_smtp_delivers_each_mail_to_its_person(smtp_server):
    settings = MailSettings(host="127.0.0.1", port=smtp_server.port, starttls=False,
                            sender="hr@example.com")
    report = send_links(settings, pulse_title="Q1 pulse", links=LINKS, outbox=None)
    assert report.sent == 2 and not report.refused and report.outbox is None
    assert [m.recipients for m in smtp_server.messages] == [["ann@example.com"],
                                                           ["bob@example.com"]]
    body = smtp_server.messages[1].message.get_content()
    assert "http://x/s/tok-bob" in body and "tok-ann" not in body


def test_a_refused_recipient_is_reported_and_the_others_still_sent(smtp_server):
    smtp_server.refuse.add("bob@example.com")
    settings = MailSettings(host="127.0.0.1", port=smtp_server.port, starttls=False)
    report = send_links(settings, pulse_title="Q1", links=LINKS, outbox=None)
    assert report.sent == 1
    assert [e for e, _ in report.refused] == ["bob@example.com"]


def test_an_unreachable_server_is_a_clear_error(unused_port):
    settings = MailSettings(host="127.0.0.1", port=unused_port, starttls=False)
    expected = f"cannot send through the mail server 127.0.0.1:{unused_port}"
    with pytest.raises(MailError, match=expected):
        send_links(settings, pulse_title="Q1", links=LINKS, outbox=None)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    """Config is read at import; re-reading the class body picks up the variables."""
    import importlib

    import survey_app.config as config

    monkeypatch.setenv("TRINITY_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("TRINITY_SMTP_PORT", "2525")
    monkeypatch.setenv("TRINITY_SMTP_USER", "pulse")
    monkeypatch.setenv("TRINITY_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("TRINITY_SMTP_STARTTLS", "0")
    monkeypatch.setenv("TRINITY_MAIL_FROM", "hr@example.com")
    try:
        importlib.reload(config)
        app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "db.sqlite3"),
                          "SECRET_KEY": "k"})
        settings = MailSettings.from_config(app.config)
    finally:
        monkeypatch.undo()
        importlib.reload(config)
    assert settings == MailSettings(host="mail.example.com", port=2525, user="pulse",
                                    password="s3cret", starttls=False, sender="hr@example.com")


def test_a_bad_port_stops_the_app_with_the_variable_named(monkeypatch):
    import importlib

    import survey_app.config as config

    for bad, expected in (("smtp", "must be a whole number"),
                          ("70000", "must be a port number from 1 to 65535")):
        monkeypatch.setenv("TRINITY_SMTP_PORT", bad)
        try:
            with pytest.raises(RuntimeError, match=f"TRINITY_SMTP_PORT {expected}"):
                importlib.reload(config)
        finally:
            monkeypatch.undo()
            importlib.reload(config)


def test_the_defaults_write_to_the_outbox_with_starttls_ready():
    assert Config.SMTP_STARTTLS is True and Config.SMTP_PORT == 587
    settings = MailSettings.from_config({"SMTP_HOST": None})
    assert settings.host is None and settings.starttls and settings.port == 587


def test_every_setting_is_in_the_readme():
    """The configuration table cannot fall behind config.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = set(re.findall(r"TRINITY_[A-Z0-9_]+", (root / "survey_app" / "config.py").read_text()))
    readme = (root / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## Command line")]
    assert {"TRINITY_SMTP_HOST", "TRINITY_MAIL_FROM"} <= names
    for name in sorted(names):
        assert f"`{name}`" in table, name
