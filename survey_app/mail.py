"""Sending each invited person their link.

With ``TRINITY_SMTP_HOST`` set, mails go through that server (STARTTLS unless
turned off, login when a user is set). Without it, each mail is written as an
``.eml`` file into ``<instance>/outbox/<pulse>/`` (folder mode 0700, files
0600, since each holds a working link): what the demo and local runs use,
and what any mail client can open.

Only the standard library: :class:`email.message.EmailMessage` builds the
mail, :mod:`smtplib` sends it. Nothing here touches the database; the caller
issues the links (``storage.issue_links``) and hands over (email, URL) pairs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from analysis.privacy import PrivacyPolicy

#: Seconds to wait for the mail server before giving up.
SMTP_TIMEOUT = 30
#: The port on which SMTP speaks TLS from the first byte (RFC 8314).
IMPLICIT_TLS_PORT = 465
#: Characters kept from an address in an outbox file name; the rest become "_".
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]")


class MailError(Exception):
    """The mail server could not be reached or refused us; the message says which."""


@dataclass(frozen=True)
class MailSettings:
    """Where mails go: an SMTP server, or the outbox folder when ``host`` is unset."""

    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "pulse@localhost"

    @classmethod
    def from_config(cls, config: Mapping) -> "MailSettings":
        """Read the ``SMTP_*`` and ``MAIL_FROM`` settings of :class:`survey_app.config.Config`."""
        return cls(
            host=config.get("SMTP_HOST") or None,
            port=int(config.get("SMTP_PORT") or 587),
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=bool(config.get("SMTP_STARTTLS", True)),
            sender=config.get("MAIL_FROM") or "pulse@localhost",
        )


@dataclass
class SendReport:
    """What happened: how many mails left, where the outbox is, who was refused."""

    sent: int = 0
    outbox: Path | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)


def anonymity_promise(min_group: int | None = None) -> str:
    """The one sentence every invitation carries about what happens to the answers."""
    size = PrivacyPolicy().min_group if min_group is None else min_group
    return (
        "Your answers are anonymous: they are stored without your name, email or "
        "this link, and leaders only ever see totals for groups of at least "
        f"{size} people."
    )


def _one_line(text: str) -> str:
    """Header-safe text: a title with a line break must not add headers."""
    return " ".join(str(text).split())


def invitation_message(*, to: str, pulse_title: str, link: str, sender: str) -> EmailMessage:
    """The plain-text mail that gives one person their link.

    Example
    -------
    >>> m = invitation_message(to="ann@example.com", pulse_title="Q1 pulse",
    ...                        link="https://pulse.example.com/s/abc", sender="hr@example.com")
    >>> m["Subject"]
    'Your link to the pulse survey: Q1 pulse'
    >>> "https://pulse.example.com/s/abc" in m.get_content()
    True
    """
    title = _one_line(pulse_title)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Your link to the pulse survey: {title}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(
        f"Hello,\n\n"
        f"You are invited to answer \"{title}\", a short pulse survey.\n\n"
        f"Your personal link (it works once, so please do not forward it):\n\n"
        f"    {link}\n\n"
        f"{anonymity_promise()}\n\n"
        f"Thank you.\n"
    )
    return message


def outbox_file_name(email: str) -> str:
    """One file per person, named after their address.

    Re-sending a person's link replaces their file, so the outbox never holds
    a dead link beside the live one. A short hash keeps two addresses that
    clean up to the same text apart.
    """
    digest = hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:8]
    return f"{_UNSAFE_NAME.sub('_', email)[:80]}-{digest}.eml"


def write_outbox(outbox: Path, messages: Iterable[tuple[str, EmailMessage]]) -> int:
    """Write each message as ``<outbox>/<name>.eml`` with mode 0600; return how many."""
    outbox.mkdir(parents=True, exist_ok=True)
    os.chmod(outbox, 0o700)
    written = 0
    for email, message in messages:
        path = outbox / outbox_file_name(email)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # O_CREAT's mode only applies to a new file; an older one is tightened too.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        written += 1
    return written


def _connect(settings: MailSettings) -> smtplib.SMTP:
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.port == IMPLICIT_TLS_PORT:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=SMTP_TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
            if settings.starttls:
                server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"the mail server {where} refused the login of "
                        f"TRINITY_SMTP_USER={settings.user!r} ({exc.smtp_code})") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot send through the mail server {where}: {exc}") from exc
    return server


def send_links(
    settings: MailSettings,
    *,
    pulse_title: str,
    links: Iterable[tuple[str, str]],
    outbox: Path | None,
) -> SendReport:
    """Mail each (email, link) pair, by SMTP or into ``outbox``.

    A recipient the server refuses is listed in the report and the others are
    still sent; a server that cannot be reached at all raises
    :class:`MailError` before anything is sent.
    """
    messages = [
        (email, invitation_message(to=email, pulse_title=pulse_title, link=link,
                                   sender=settings.sender))
        for email, link in links
    ]
    if not settings.host:
        if outbox is None:
            raise MailError("no TRINITY_SMTP_HOST is set and no outbox folder was given")
        return SendReport(sent=write_outbox(outbox, messages), outbox=outbox)
    report = SendReport()
    server = _connect(settings)
    try:
        for email, message in messages:
            try:
                server.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                report.refused.append((email, str(exc)))
            else:
                report.sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"the mail server {settings.host}:{settings.port} stopped after "
            f"{report.sent} mail(s): {exc}"
        ) from exc
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def outbox_folder(instance_path: str | os.PathLike, slug: str) -> Path:
    """``<instance>/outbox/<slug>/``: where a pulse's mails go without SMTP."""
    return Path(instance_path) / "outbox" / slug


def remove_outbox(instance_path: str | os.PathLike, slug: str) -> None:
    """Remove a pulse's outbox (a deleted pulse's links must not linger on disk)."""
    shutil.rmtree(outbox_folder(instance_path, slug), ignore_errors=True)
