"""The pulses: the list, creating one, its page, opening and closing, deleting,
and participation per reporting group.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from analysis.instrument import InstrumentError
from analysis.privacy import PrivacyPolicy
from analysis.strategy import Strategy, StrategyFileError, parse_strategy_text
from survey_app import mail, storage
from survey_app.admin import bp, pending
from survey_app.admin.forms import CreatePulseForm, DeleteForm, uploaded_text
from survey_app.admin.instruments import INSTRUMENTS_DIR, read_instrument, valid_instrument_files
from survey_app.admin.routes.common import ADMIN, INVALID, close_due, pulse_or_404, record
from survey_app.auth import roles_required
from survey_app.auth.forms import EmptyForm
from survey_app.db import get_db

#: Allowed status changes: button name -> (from, to).
TRANSITIONS = {
    "open": ("draft", "open"),
    "close": ("open", "closed"),
    "reopen": ("closed", "open"),
}
_DONE = {"open": "opened", "close": "closed", "reopen": "reopened"}
#: Words shown for a group with fewer than min_group respondents.
FEWER_THAN = "fewer than {n}"


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
    close_due()
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
    record("create pulse", pulse.slug,
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
    pulse = pulse_or_404(slug)
    db = get_db()
    gaps = storage.answer_key_gaps(pulse.instrument, pulse.strategy) if pulse.status == "draft" else []
    return render_template("admin/pulse.html", pulse=pulse, totals=_totals(db, pulse),
                           form=EmptyForm(), transitions=TRANSITIONS,
                           open_link_excess=open_link_excess(db, pulse), answer_key_gaps=gaps)


def _change_status(slug: str, action: str):
    pulse = pulse_or_404(slug)
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
    record(f"{action} pulse", slug, f"{before} -> {after}")
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
    pulse = pulse_or_404(slug)
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
    record("delete pulse", slug, f"{totals['invited']} invitation(s), "
                                  f"{totals['responses']} response(s)")
    flash(f"Pulse '{slug}' and everything in it have been deleted.")
    return redirect(url_for("admin.index"), 303)


# --------------------------------------------------------------------------
# Participation
# --------------------------------------------------------------------------


@bp.get("/pulses/<slug>/participation")
@roles_required(ADMIN)
def participation(slug: str):
    pulse = pulse_or_404(slug)
    rows = storage.participation(get_db(), slug)
    return render_template("admin/participation.html", pulse=pulse, rows=rows,
                           fewer_than=FEWER_THAN.format(n=PrivacyPolicy().min_group))
