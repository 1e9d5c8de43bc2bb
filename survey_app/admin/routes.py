"""Views of the admin area (``/admin``), for the ``admin`` role only.

Each view follows the tutorial's flow: validate, then either show the page
again with every problem on it (status 422, nothing stored) or store, record
it in the audit log and redirect (303). Actions are POST forms with a CSRF
token; a refused token is a 400 and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from analysis.instrument import InstrumentError
from analysis.privacy import PrivacyPolicy
from analysis.strategy import Strategy, StrategyFileError, parse_strategy_text
from survey_app import mail, storage
from survey_app.admin import bp, pending
from survey_app.admin.forms import (
    MAX_UPLOAD_BYTES,
    ConfirmImportForm,
    CreatePulseForm,
    DeleteForm,
    ResendForm,
    RosterUploadForm,
    StrategyForm,
    StrategyUploadForm,
    uploaded_text,
)
from survey_app.admin.instruments import INSTRUMENTS_DIR, read_instrument, valid_instrument_files
from survey_app.admin.links import invitation_urls, links_csv
from survey_app.auth import roles_required
from survey_app.auth.forms import EmptyForm
from survey_app.db import get_db

#: Status of a page sent back with problems: the form is shown again, nothing stored.
INVALID = 422
#: Allowed status changes: button name -> (from, to).
TRANSITIONS = {
    "open": ("draft", "open"),
    "close": ("open", "closed"),
    "reopen": ("closed", "open"),
}
_DONE = {"open": "opened", "close": "closed", "reopen": "reopened"}
#: Words shown for a group with fewer than min_group respondents.
FEWER_THAN = "fewer than {n}"

ADMIN = "admin"


@bp.before_request
def _allow_uploads():
    """Rosters and instrument files are bigger than a survey answer."""
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


@bp.errorhandler(413)
def _too_large(exc):
    """An upload over the limit: say so in the admin's terms, not the survey's."""
    return render_template(
        "admin/base.html", problem=f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)}"
        " MB. Split the roster into parts and add the rest as late joiners."), 413


def _record(action: str, subject: str, detail: str = "") -> None:
    """Write the change to the audit log, with the signed-in admin as actor."""
    storage.audit(get_db(), current_user._get_current_object(), action, subject, detail)


def _close_due() -> None:
    """Close the pulses whose close date has come, so the admin sees the truth."""
    storage.close_due_pulses(get_db())


def _pulse_or_404(slug: str) -> storage.Pulse:
    _close_due()
    pulse = storage.get_pulse(get_db(), slug)
    if pulse is None:
        abort(404)
    return pulse


def _instrument_dir() -> Path:
    return Path(current_app.config.get("INSTRUMENTS_DIR") or INSTRUMENTS_DIR)


def _instrument_choices() -> list[SelectChoice]:
    """The valid instrument files of the instruments folder, as select choices."""
    return [SelectChoice(name, f"{i.title} (v{i.version}, {name})")
            for name, i in valid_instrument_files(_instrument_dir())]


def _totals(db, pulse) -> dict:
    """Invitations and responses of the whole pulse (the company-wide counts)."""
    return {"invited": sum(storage.stored_combinations(db, pulse.slug).values()),
            "responses": storage.count_responses(db, pulse.slug)}


# --------------------------------------------------------------------------
# Pulses
# --------------------------------------------------------------------------


@bp.get("/")
@roles_required(ADMIN)
def index():
    """Every pulse with its period, status and counts: the admin's home."""
    _close_due()
    db = get_db()
    listed = [(p, _totals(db, p)) for p in storage.list_pulses(db)]
    return render_template("admin/pulses.html", pulses=listed)


@bp.route("/pulses/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_pulse():
    form = CreatePulseForm()
    form.instrument_file.choices = [SelectChoice("", "Choose a file")] + _instrument_choices()
    if not form.is_submitted():
        return render_template("admin/new_pulse.html", form=form)
    ok = form.validate()
    instrument, strategy, notes = None, Strategy(), []
    upload = uploaded_text(form.instrument_upload)
    if upload is not None:
        try:
            instrument, notes = read_instrument(text=upload,
                                                source=form.instrument_upload.data.filename)
        except InstrumentError as exc:
            form.instrument_upload.errors.append(str(exc))
    elif ok and form.instrument_file.data:
        try:
            instrument, notes = read_instrument(_instrument_dir() / form.instrument_file.data)
        except InstrumentError as exc:
            form.instrument_file.errors.append(str(exc))
    strategy_text = uploaded_text(form.strategy_upload)
    if strategy_text is not None:
        try:
            strategy = parse_strategy_text(strategy_text, source=form.strategy_upload.data.filename)
        except StrategyFileError as exc:
            form.strategy_upload.errors.extend(str(exc).splitlines())
    if not ok or instrument is None or form.errors:
        return render_template("admin/new_pulse.html", form=form), INVALID
    try:
        pulse = storage.create_pulse(
            get_db(),
            slug=form.slug.data.strip(),
            title=form.title.data,
            period=form.period.data.strip(),
            instrument=instrument,
            strategy=strategy,
            open_link=form.open_link.data,
            breakdowns=tuple(form.breakdowns.data),
            close_on=form.close_on.data,
        )
    except storage.StorageError as exc:
        return render_template("admin/new_pulse.html", form=form, problem=str(exc)), INVALID
    _record("create pulse", pulse.slug,
            f"instrument {instrument.id} v{instrument.version}, period {pulse.period}")
    flash(f"Pulse '{pulse.slug}' created as a draft.")
    for note in notes:
        flash(f"Warning: {note}", "error")
    return redirect(url_for("admin.pulse", slug=pulse.slug), 303)


#: The open-link row of storage.participation.
OPEN_LINK_ROW = "Through the open link"


def open_link_excess(db, pulse) -> tuple[int, int] | None:
    """``(open-link answers, invitations)`` when the first exceeds the second.

    The open link is rate-limited per address but not per person (an office
    behind one address must be able to answer, see survey_app/ratelimit.py),
    so a script can still add answers slowly. More open-link answers than
    the pulse has people invited is the sign an admin can act on. The count
    is participation's own, so a number under the minimum group is never
    shown here either.
    """
    invited = _totals(db, pulse)["invited"]
    shown = next((row.responded for row in storage.participation(db, pulse.slug)
                  if row.label == OPEN_LINK_ROW), None)
    if invited and shown is not None and shown > invited:
        return shown, invited
    return None


@bp.get("/pulses/<slug>")
@roles_required(ADMIN)
def pulse(slug: str):
    pulse = _pulse_or_404(slug)
    db = get_db()
    gaps = storage.answer_key_gaps(pulse.instrument, pulse.strategy) if pulse.status == "draft" else []
    return render_template("admin/pulse.html", pulse=pulse, totals=_totals(db, pulse),
                           form=EmptyForm(), transitions=TRANSITIONS,
                           open_link_excess=open_link_excess(db, pulse), answer_key_gaps=gaps)


def _change_status(slug: str, action: str):
    pulse = _pulse_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    before, after = TRANSITIONS[action]
    if pulse.status != before:
        flash(f"Pulse '{slug}' is {pulse.status}, so it cannot be {_DONE[action]}: "
              f"only a pulse that is {before} can.", "error")
        return redirect(url_for("admin.pulse", slug=slug), 303)
    try:
        storage.set_pulse_status(get_db(), slug, after)
    except storage.StorageError as exc:
        # A draft whose statement cannot grade its knowledge checks yet.
        flash(str(exc), "error")
        return redirect(url_for("admin.pulse", slug=slug), 303)
    _record(f"{action} pulse", slug, f"{before} -> {after}")
    flash(f"Pulse '{slug}' is now {after}.")
    return redirect(url_for("admin.pulse", slug=slug), 303)


@bp.post("/pulses/<slug>/open")
@roles_required(ADMIN)
def open_pulse(slug: str):
    return _change_status(slug, "open")


@bp.post("/pulses/<slug>/close")
@roles_required(ADMIN)
def close_pulse(slug: str):
    return _change_status(slug, "close")


@bp.post("/pulses/<slug>/reopen")
@roles_required(ADMIN)
def reopen_pulse(slug: str):
    return _change_status(slug, "reopen")


@bp.route("/pulses/<slug>/delete", methods=["GET", "POST"])
@roles_required(ADMIN)
def delete_pulse(slug: str):
    pulse = _pulse_or_404(slug)
    form = DeleteForm()
    totals = _totals(get_db(), pulse)
    if not form.validate_on_submit():
        status = INVALID if form.is_submitted() else 200
        return render_template("admin/delete.html", pulse=pulse, form=form, totals=totals), status
    try:
        storage.delete_pulse(get_db(), slug, confirm=form.confirm.data.strip())
    except storage.StorageError as exc:
        form.confirm.errors.append(str(exc))
        return render_template("admin/delete.html", pulse=pulse, form=form,
                               totals=totals), INVALID
    pending.discard(current_app.instance_path, slug)
    mail.remove_outbox(current_app.instance_path, slug)
    _record("delete pulse", slug, f"{totals['invited']} invitation(s), "
                                  f"{totals['responses']} response(s)")
    flash(f"Pulse '{slug}' and everything in it have been deleted.")
    return redirect(url_for("admin.index"), 303)


# --------------------------------------------------------------------------
# The strategy statement
# --------------------------------------------------------------------------


def _strategy_page(pulse, form, upload_form, status=200, problems=()):
    return render_template("admin/strategy.html", pulse=pulse, form=form,
                           upload_form=upload_form, problems=problems), status


def _save_strategy(pulse, strategy: Strategy, how: str):
    """Store a validated statement; ``None`` on success, else the refusal's text."""
    try:
        storage.update_strategy(get_db(), pulse.slug, strategy)
    except storage.StorageError as exc:
        return str(exc)
    _record("change strategy", pulse.slug, how)
    flash("The strategy statement has been saved.")
    return None


@bp.route("/pulses/<slug>/strategy", methods=["GET", "POST"])
@roles_required(ADMIN)
def strategy(slug: str):
    pulse = _pulse_or_404(slug)
    form = StrategyForm()
    if not form.is_submitted():
        form.fill(pulse.strategy)
        return _strategy_page(pulse, form, StrategyUploadForm())
    if not form.validate():
        return _strategy_page(pulse, form, StrategyUploadForm(formdata=None), INVALID)
    refused = _save_strategy(pulse, form.strategy, "edited on the page")
    if refused:
        return _strategy_page(pulse, form, StrategyUploadForm(formdata=None), INVALID, [refused])
    return redirect(url_for("admin.pulse", slug=slug), 303)


@bp.post("/pulses/<slug>/strategy/upload")
@roles_required(ADMIN)
def strategy_upload(slug: str):
    pulse = _pulse_or_404(slug)
    upload_form = StrategyUploadForm()
    form = StrategyForm(formdata=None)
    form.fill(pulse.strategy)
    text = uploaded_text(upload_form.file) if upload_form.validate_on_submit() else None
    if text is None:
        return _strategy_page(pulse, form, upload_form, INVALID)
    name = upload_form.file.data.filename
    try:
        strategy = parse_strategy_text(text, source=name)
    except StrategyFileError as exc:
        return _strategy_page(pulse, form, upload_form, INVALID, str(exc).splitlines())
    refused = _save_strategy(pulse, strategy, f"loaded from {name}")
    if refused:
        return _strategy_page(pulse, form, upload_form, INVALID, [refused])
    return redirect(url_for("admin.pulse", slug=slug), 303)


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
    pulse = _pulse_or_404(slug)
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
    pulse = _pulse_or_404(slug)
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
    _record("import roster", slug, f"{count} invitation(s) from {source}")
    flash(f"Imported {count} people from {source}: each has an invitation. "
          "Send their links on this page.")
    return redirect(url_for("admin.invitations", slug=slug), 303)


@bp.post("/pulses/<slug>/roster/cancel")
@roles_required(ADMIN)
def roster_cancel(slug: str):
    _pulse_or_404(slug)
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
    _record("send links", pulse.slug, f"{report.sent} mail(s)"
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
    return _invitations_page(_pulse_or_404(slug))


@bp.post("/pulses/<slug>/invitations/send")
@roles_required(ADMIN)
def send_invitations(slug: str):
    pulse = _pulse_or_404(slug)
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
    pulse = _pulse_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = storage.issue_links(get_db(), slug)
    except storage.StorageError as exc:
        return _invitations_page(pulse, INVALID, problems=[str(exc)])
    _record("download links", slug, f"{len(issued)} link(s)")
    body = links_csv(invitation_urls(issued, request.url_root))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{slug}-links.csv"'})


@bp.post("/pulses/<slug>/invitations/resend")
@roles_required(ADMIN)
def resend_link(slug: str):
    pulse = _pulse_or_404(slug)
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
    pulse = _pulse_or_404(slug)
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
    _record("add people", slug, f"{count} invitation(s) from {source}")
    try:
        sent = _send(pulse, [entry.email for entry in entries])
    except (storage.StorageError, mail.MailError) as exc:
        flash(f"Added {count} people from {source}, but their links were not sent: {exc} "
              "Send them with \"Send a new link\" once that is fixed.", "error")
        return redirect(url_for("admin.invitations", slug=slug), 303)
    flash(f"Added {count} people from {source}. {sent}")
    return redirect(url_for("admin.invitations", slug=slug), 303)


# --------------------------------------------------------------------------
# Participation
# --------------------------------------------------------------------------


@bp.get("/pulses/<slug>/participation")
@roles_required(ADMIN)
def participation(slug: str):
    pulse = _pulse_or_404(slug)
    rows = storage.participation(get_db(), slug)
    return render_template("admin/participation.html", pulse=pulse, rows=rows,
                           fewer_than=FEWER_THAN.format(n=PrivacyPolicy().min_group))
