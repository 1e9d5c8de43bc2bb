"""A pulse's strategy statement: the form and the file upload (a draft only).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from analysis.strategy import Strategy, StrategyFileError, parse_strategy_text
from survey_app import storage
from survey_app.admin import bp
from survey_app.admin.forms import StrategyForm, StrategyUploadForm, uploaded_text
from survey_app.admin.routes.common import ADMIN, INVALID, pulse_or_404, record
from survey_app.auth import roles_required
from survey_app.db import get_db


def _strategy_page(pulse, form, upload_form, status=200, problems=()):
    return render_template("admin/strategy.html", pulse=pulse, form=form,
                           upload_form=upload_form, problems=problems), status


def _save_strategy(pulse, strategy: Strategy, how: str):
    """Store a validated statement; ``None`` on success, else the refusal's text."""
    try:
        storage.update_strategy(get_db(), pulse.slug, strategy)
    except storage.StorageError as exc:
        return str(exc)
    record("change strategy", pulse.slug, how)
    flash("The strategy statement has been saved.")
    return None


@bp.route("/pulses/<slug>/strategy", methods=["GET", "POST"])
@roles_required(ADMIN)
def strategy(slug: str):
    pulse = pulse_or_404(slug)
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
    pulse = pulse_or_404(slug)
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
