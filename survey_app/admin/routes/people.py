"""The people of a pulse: the roster (check, then import), the invitations
(mail them, download them, re-send one) and late joiners.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from survey_app import mail, storage
from survey_app.admin import bp, pending
from survey_app.admin.forms import ConfirmImportForm, ResendForm, RosterUploadForm, uploaded_text
from survey_app.admin.links import invitation_urls, links_csv
from survey_app.admin.routes.common import ADMIN, INVALID, pulse_or_404, record
from survey_app.auth import roles_required
from survey_app.auth.forms import EmptyForm
from survey_app.db import get_db


# --------------------------------------------------------------------------
# The roster
# --------------------------------------------------------------------------


def _parse_roster(text: str, source: str):
    """(entries, problems): the roster's people, or every problem of the file."""
    try:
        return storage.parse_roster(text, source=source), []
    except storage.RosterError as exc:
        return None, list(exc.problems)


@bp.route("/pulses/<slug>/roster", methods=["GET", "POST"])
@roles_required(ADMIN)
def roster(slug: str):
    pulse = pulse_or_404(slug)
    form = RosterUploadForm()
    if not form.is_submitted():
        return render_template("admin/roster.html", pulse=pulse, form=form)
    text = uploaded_text(form.file) if form.validate() else None
    if text is None:
        return render_template("admin/roster.html", pulse=pulse, form=form), INVALID
    source = form.file.data.filename
    entries, problems = _parse_roster(text, source)
    if problems:
        return render_template("admin/roster.html", pulse=pulse, form=form,
                               problems=problems, source=source), INVALID
    try:
        preview = storage.preview_roster(get_db(), slug, entries)
    except storage.StorageError as exc:
        return render_template("admin/roster.html", pulse=pulse, form=form,
                               problems=[str(exc)], source=source), INVALID
    upload_id = pending.save(current_app.instance_path, slug, source, text)
    return render_template("admin/roster_preview.html", pulse=pulse, preview=preview,
                           people=len(entries), source=source,
                           form=ConfirmImportForm(upload=upload_id),
                           cancel_form=ConfirmImportForm(upload=upload_id))


@bp.post("/pulses/<slug>/roster/confirm")
@roles_required(ADMIN)
def roster_confirm(slug: str):
    pulse = pulse_or_404(slug)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    kept = pending.load(current_app.instance_path, slug, form.upload.data)
    if kept is None:
        flash("That checked roster is no longer kept (it expires after an hour or once "
              "imported). Please upload it again.", "error")
        return redirect(url_for("admin.roster", slug=slug), 303)
    source, text = kept
    # Imported or refused, the kept copy of the emails has served its purpose.
    pending.discard(current_app.instance_path, slug, form.upload.data)
    entries, problems = _parse_roster(text, source)
    try:
        if problems:
            raise storage.StorageError("; ".join(problems))
        count = storage.import_roster(get_db(), slug, entries)
    except storage.StorageError as exc:
        return render_template("admin/roster.html", pulse=pulse, form=RosterUploadForm(
            formdata=None), problems=[str(exc)], source=source), INVALID
    record("import roster", slug, f"{count} invitation(s) from {source}")
    flash(f"Imported {count} people from {source}: each has an invitation. "
          "Send their links on this page.")
    return redirect(url_for("admin.invitations", slug=slug), 303)


@bp.post("/pulses/<slug>/roster/cancel")
@roles_required(ADMIN)
def roster_cancel(slug: str):
    pulse_or_404(slug)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    pending.discard(current_app.instance_path, slug, form.upload.data)
    flash("Nothing was imported; the checked roster has been removed.")
    return redirect(url_for("admin.roster", slug=slug), 303)


# --------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------


def _invitations_page(pulse, status=200, *, resend_form=None, people_form=None, problems=(),
                      source=None):
    return render_template(
        "admin/invitations.html", pulse=pulse, form=EmptyForm(),
        resend_form=resend_form or ResendForm(formdata=None),
        people_form=people_form or RosterUploadForm(formdata=None),
        problems=problems, source=source,
        outbox=None if current_app.config.get("SMTP_HOST")
        else mail.outbox_folder(current_app.instance_path, pulse.slug),
    ), status


def _send(pulse, emails=None) -> str:
    """Issue fresh links (everyone's unused ones, or ``emails``') and mail them."""
    issued = storage.issue_links(get_db(), pulse.slug, emails)
    rows = invitation_urls(issued, request.url_root)
    report = mail.send_links(
        mail.MailSettings.from_config(current_app.config), pulse_title=pulse.title,
        links=rows, outbox=mail.outbox_folder(current_app.instance_path, pulse.slug),
    )
    record("send links", pulse.slug, f"{report.sent} mail(s)"
            + (f", {len(report.refused)} refused" if report.refused else ""))
    where = f" into {report.outbox}" if report.outbox else ""
    message = f"{report.sent} invitation mail(s) written{where}." if report.outbox else (
        f"{report.sent} invitation mail(s) sent.")
    if report.refused:
        message += " The mail server refused: " + ", ".join(e for e, _ in report.refused) + "."
    return message


@bp.get("/pulses/<slug>/invitations")
@roles_required(ADMIN)
def invitations(slug: str):
    return _invitations_page(pulse_or_404(slug))


@bp.post("/pulses/<slug>/invitations/send")
@roles_required(ADMIN)
def send_invitations(slug: str):
    pulse = pulse_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        flash(_send(pulse))
    except (storage.StorageError, mail.MailError) as exc:
        return _invitations_page(pulse, INVALID, problems=[str(exc)])
    return redirect(url_for("admin.invitations", slug=slug), 303)


@bp.post("/pulses/<slug>/invitations/download")
@roles_required(ADMIN)
def download_links(slug: str):
    pulse = pulse_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = storage.issue_links(get_db(), slug)
    except storage.StorageError as exc:
        return _invitations_page(pulse, INVALID, problems=[str(exc)])
    record("download links", slug, f"{len(issued)} link(s)")
    body = links_csv(invitation_urls(issued, request.url_root))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{slug}-links.csv"'})


@bp.post("/pulses/<slug>/invitations/resend")
@roles_required(ADMIN)
def resend_link(slug: str):
    pulse = pulse_or_404(slug)
    form = ResendForm()
    if not form.validate_on_submit():
        return _invitations_page(pulse, INVALID, resend_form=form)
    email = form.email.data.strip()
    try:
        sent = _send(pulse, [email])
    except (storage.StorageError, mail.MailError) as exc:
        form.email.errors.append(str(exc))
        return _invitations_page(pulse, INVALID, resend_form=form)
    flash(f"{sent} {email} has a new link; their previous link no longer works.")
    return redirect(url_for("admin.invitations", slug=slug), 303)


@bp.post("/pulses/<slug>/people")
@roles_required(ADMIN)
def add_people(slug: str):
    pulse = pulse_or_404(slug)
    form = RosterUploadForm()
    text = uploaded_text(form.file) if form.validate_on_submit() else None
    if text is None:
        return _invitations_page(pulse, INVALID, people_form=form)
    source = form.file.data.filename
    entries, problems = _parse_roster(text, source)
    if problems:
        return _invitations_page(pulse, INVALID, people_form=form, problems=problems,
                                 source=source)
    try:
        count = storage.add_people(get_db(), slug, entries)
    except storage.StorageError as exc:
        return _invitations_page(pulse, INVALID, people_form=form, problems=[str(exc)],
                                 source=source)
    record("add people", slug, f"{count} invitation(s) from {source}")
    try:
        sent = _send(pulse, [entry.email for entry in entries])
    except (storage.StorageError, mail.MailError) as exc:
        flash(f"Added {count} people from {source}, but their links were not sent: {exc} "
              "Send them with \"Send a new link\" once that is fixed.", "error")
        return redirect(url_for("admin.invitations", slug=slug), 303)
    flash(f"Added {count} people from {source}. {sent}")
    return redirect(url_for("admin.invitations", slug=slug), 303)
