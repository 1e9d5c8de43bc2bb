"""The leaders' and analysts' report pages, their downloads and action plans.

Who opens what is the role matrix of issue 7: the company-wide overview
(admin, executives, analyst); each executive's report (admin and the three
executives, who work as equals); a department's report (also its own
manager, and no other manager); the analyst's page and exports (admin,
analyst). A page shows one pulse's latest published snapshot; its figures
come from the stored report data (``survey_app.reports.data``) and are cut
for the page by ``survey_app.reports.content``, which the downloads use too.
"""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from analysis.leader_report import values
from survey_app import storage
from survey_app.auth import may_see_department, roles_required
from survey_app.db import get_db
from survey_app.reports import bp, charts, content, data
from survey_app.reports.forms import PlanForm, PlanStatusForm, ThemeCountForm, ThemeMoveForm

EXECUTIVES = ("admin",) + storage.EXECUTIVE_ROLES
COMPANY_WIDE = EXECUTIVES + ("analyst",)
PLANNERS = EXECUTIVES + ("manager",)
FORMATS = {"pdf": "application/pdf", "json": "application/json", "csv": "text/csv"}
#: The files of the analysts' export (``flask export``), downloadable one by one.
EXPORT_FILES = {"responses.csv": "text/csv", "comments.csv": "text/csv", "pulse.json": "application/json"}

#: A strict policy for every report page: no script at all, styles and
#: images from the app only; charts are inline SVG, which needs neither.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")


@bp.app_template_filter("signed")
def _signed(value):
    """``{{ diff|signed }}``: "+3", "-12", "0" (never "-0"), as the report's sentences write it."""
    return values.signed(value)


@bp.app_template_filter("points")
def _points(value):
    """``{{ diff|points }}``: the whole points a page shows, to judge "below" by."""
    return values.points(value)


@bp.context_processor
def _helpers():
    return {"heatmap_rows": content.heatmap_rows, "trend_points": content.trend_points,
            "driver_bars": content.driver_bars}


#: Seconds a client is told to wait (Retry-After) before asking again for a
#: report that is being prepared. No automatic reload: a timed refresh takes
#: the page from under someone reading it with a screen reader (WCAG 2.2.1).
PREPARING_RETRY = 30


@bp.errorhandler(data.ReportPending)
def _preparing(exc):
    """The first report of a large pulse is still being built (503, retried)."""
    response = current_app.make_response((render_template(
        "reports/preparing.html", page_title="The report is being prepared", view=None, pdf=False),
        503))
    response.headers["Retry-After"] = str(PREPARING_RETRY)
    return response


@bp.after_request
def _strict_policy(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _pulse_or_404():
    try:
        return data.pick_pulse(request.args.get("pulse"))
    except LookupError as exc:
        abort(404, str(exc))


def _page(template: str, view: dict | None, pulse, **context):
    return render_template(template, view=view, pulse=pulse, charts=charts,
                           pulses=data.reportable_pulses(), pdf=False, **context)


def _plans_beside(slug: str, report: dict, *, department: str | None = None,
                  owner: str | None = None) -> dict:
    """This pulse's open commitments, and the previous pulse's beside the
    change of the measure each was about."""
    db = get_db()
    now = list(storage.list_action_plans(db, pulse_slugs=[slug], department=department, owner=owner))
    earlier = []
    before = data.previous_report(slug)
    if before is not None:
        from analysis.leader_report import measure_change

        for plan in storage.list_action_plans(db, pulse_slugs=[before["survey"]], department=department,
                                              owner=owner):
            earlier.append((plan, measure_change(before, report, plan.measure, plan.department)))
    return {"current": now, "earlier": earlier, "previous_period": before and before["period"]}


def _executive(page: str):
    pulse = _pulse_or_404()
    if pulse is None:
        return _page("reports/empty.html", None, None, page_title=content.TITLES[page])
    report = data.with_moves(data.report_for(pulse.slug))
    view = content.executive_view(report, page)
    acts = current_user.role in EXECUTIVES  # the analyst reads, never commits or moves
    return _page("reports/executive.html", view, pulse, plans=_plans_beside(pulse.slug, report, owner=page),
                 plan_form=PlanForm() if acts else None,
                 move_form=ThemeMoveForm() if acts else None,
                 count_form=ThemeCountForm() if acts else None,
                 status_form=PlanStatusForm() if acts else None)


def _download(view: dict, pulse, fmt: str, template: str, name: str):
    if fmt not in FORMATS:
        abort(404, f"Reports download as {', '.join(FORMATS)}.")
    storage.audit(get_db(), current_user, "download report", pulse.slug, f"{name}.{fmt}")
    filename = f"{pulse.slug}-{name}.{fmt}"
    if fmt == "json":
        body = json.dumps(view, indent=2, sort_keys=True, allow_nan=False)
    elif fmt == "csv":
        body = content.to_csv(view)
    else:
        from survey_app.reports.pdf import html_to_pdf

        html = render_template(template, view=view, pulse=pulse, charts=charts, pulses=[], pdf=True,
                               plans=None, plan_form=None, move_form=None, status_form=None)
        body = html_to_pdf(html, current_app.static_folder, current_app.static_url_path)
    return Response(body, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _executive_download(page: str, fmt: str):
    pulse = _pulse_or_404()
    if pulse is None:
        abort(404, "No published results yet.")
    view = content.executive_view(data.with_moves(data.report_for(pulse.slug)), page)
    return _download(view, pulse, fmt, "reports/executive.html", page)


def _register_executive(page: str) -> None:
    # The analyst sees all report data (issue 7's role matrix), so the three
    # executives' pages too; only the executives act on them (plans, moves).
    @roles_required(*COMPANY_WIDE)
    def view():
        return _executive(page)

    @roles_required(*COMPANY_WIDE)
    def download(fmt: str):
        return _executive_download(page, fmt)

    view.__name__, download.__name__ = page, f"{page}_download"
    view.__doc__ = f"{content.TITLES[page]} (admin, the three executives and the analyst)."
    download.__doc__ = f"{content.TITLES[page]} as PDF, JSON or CSV."
    bp.add_url_rule(f"/{page}", endpoint=page, view_func=view)
    bp.add_url_rule(f"/{page}/report.<fmt>", endpoint=f"{page}_download", view_func=download)


for _page_name in content.EXECUTIVE_PAGES:
    _register_executive(_page_name)


@bp.get("/")
@roles_required(*COMPANY_WIDE)
def overview():
    """The company-wide overview: pulses, and open commitments per executive and department."""
    db = get_db()
    plans = storage.list_action_plans(db, open_only=True)
    by_owner: dict[str, list] = {}
    for plan in plans:
        by_owner.setdefault(plan.owner_label, []).append(plan)
    return render_template("reports/overview.html", pulses=data.reportable_pulses(), by_owner=by_owner,
                           status_form=PlanStatusForm(), view=None, pdf=False)


def _scoped(name: str) -> None:
    if not may_see_department(name):
        abort(403, "You can open the report of your own department only.")


@bp.get("/department/<name>")
@roles_required(*COMPANY_WIDE, "manager")
def department(name: str):
    """One department's report; a manager may open only their own."""
    _scoped(name)
    pulse = _pulse_or_404()
    if pulse is None:
        return _page("reports/empty.html", None, None, page_title=f"{name}: the department's report")
    report = data.with_moves(data.report_for(pulse.slug))
    view = content.department_view(report, name)
    return _page("reports/department.html", view, pulse,
                 plans=_plans_beside(pulse.slug, report, department=name),
                 plan_form=PlanForm() if current_user.role in PLANNERS else None,
                 status_form=PlanStatusForm() if current_user.role in PLANNERS else None,
                 move_form=None)


@bp.get("/department/<name>/report.<fmt>")
@roles_required(*COMPANY_WIDE, "manager")
def department_download(name: str, fmt: str):
    """One department's report as PDF, JSON or CSV (the same scope as its page)."""
    _scoped(name)
    pulse = _pulse_or_404()
    if pulse is None:
        abort(404, "No published results yet.")
    view = content.department_view(data.with_moves(data.report_for(pulse.slug)), name)
    return _download(view, pulse, fmt, "reports/department.html", f"department-{name}")


@bp.get("/analyst")
@roles_required("admin", "analyst")
def analyst():
    """The analyst's page: the tables of ``python -m analysis scores`` and the exports."""
    pulse = _pulse_or_404()
    if pulse is None:
        return _page("reports/empty.html", None, None, page_title="Analysis and exports")
    report = data.report_for(pulse.slug)
    return _page("reports/analyst.html", data.analyst_tables(pulse.slug, report), pulse,
                 export_files=EXPORT_FILES)


@bp.get("/analyst/export/<part>")
@roles_required("admin", "analyst")
def analyst_export(part: str):
    """One file of the analysts' export of a pulse (published rows, coarsened, scrubbed)."""
    if part not in EXPORT_FILES:
        abort(404, f"The export has {', '.join(EXPORT_FILES)}.")
    pulse = _pulse_or_404()
    if pulse is None:
        abort(404, "No published results yet.")
    db = get_db()
    # Kept per pulse under everything it depends on (storage.export_cache).
    body = storage.export_file(db, pulse.slug, part)
    storage.audit(db, current_user, "export", pulse.slug, part)
    return Response(body, mimetype=EXPORT_FILES[part],
                    headers={"Content-Disposition": f'attachment; filename="{pulse.slug}-{part}"'})


def _back(default: str) -> str:
    """The report page a form was posted from (under the mount point, if any), else ``default``."""
    target = request.form.get("back") or ""
    own = request.script_root + "/reports/"
    return target if target.startswith(own) and "//" not in target else default


@bp.post("/plans")
@roles_required(*PLANNERS)
def add_plan():
    """Record a commitment: an executive's (owner among the three executives)
    or a manager's (owned by their department)."""
    form = PlanForm()
    back = _back(url_for("reports.overview") if current_user.role != "manager"
                 else url_for("reports.department", name=current_user.department))
    if not form.validate_on_submit():
        flash("The commitment was not recorded: " + " ".join(
            m for messages in form.errors.values() for m in messages))
        return redirect(back, 303)
    department = form.department.data or None
    if current_user.role == "manager":
        department = current_user.department
    elif department is not None:
        _scoped(department)
    owner = f"department:{department}" if department else form.owner.data
    try:
        plan_id = storage.add_action_plan(
            get_db(), pulse_slug=form.pulse.data, source=form.source.data, measure=form.measure.data,
            measure_label=form.measure_label.data, department=department, what=form.what.data,
            owner=owner, due_on=form.due_on.data.isoformat(), created_by=current_user.email)
    except storage.StorageError as exc:
        flash(f"The commitment was not recorded: {exc}")
        return redirect(back, 303)
    storage.audit(get_db(), current_user, "add commitment", form.pulse.data, f"plan {plan_id}: {form.measure.data}")
    flash("Commitment recorded.")
    return redirect(back, 303)


@bp.post("/plans/<int:plan_id>/status")
@roles_required(*PLANNERS)
def plan_status(plan_id: int):
    """Change a commitment's status; a manager only their department's."""
    plan = storage.get_action_plan(get_db(), plan_id)
    if plan is None:
        abort(404, "No such commitment.")
    if current_user.role == "manager" and plan.department != current_user.department:
        abort(403, "You can change your own department's commitments only.")
    form = PlanStatusForm()
    back = _back(url_for("reports.overview") if current_user.role != "manager"
                 else url_for("reports.department", name=current_user.department))
    if not form.validate_on_submit():
        flash("Choose one of: " + ", ".join(storage.PLAN_STATUSES) + ".")
        return redirect(back, 303)
    storage.set_plan_status(get_db(), plan_id, form.status.data)
    storage.audit(get_db(), current_user, "change commitment", plan.pulse_slug,
                  f"plan {plan_id}: {form.status.data}")
    return redirect(back, 303)


@bp.post("/themes/count")
@roles_required(*EXECUTIVES)
def theme_count():
    """Group a pulse's comments into a chosen number of themes, or automatically again.

    For a pulse whose automatic count a leader knows to be off (too many
    themes for a few topics, too few for many: docs/themes.md, "Limits").
    The next page builds the report anew with it.
    """
    form = ThemeCountForm()
    back = _back(url_for("reports.overview"))
    if not form.validate_on_submit():
        flash("The number of themes was not changed: " + " ".join(
            m for ms in form.errors.values() for m in ms))
        return redirect(back, 303)
    pulse = storage.get_pulse(get_db(), form.pulse.data)
    if pulse is None:
        abort(404, "No such survey.")
    n_themes = None if form.n_themes.data == "auto" else int(form.n_themes.data)
    storage.set_theme_count(get_db(), pulse.slug, n_themes)
    storage.audit(get_db(), current_user, "set theme count", pulse.slug, str(n_themes or "auto"))
    flash("The comments will be grouped into " + (f"{n_themes} themes." if n_themes else
          "a number of themes chosen automatically."))
    return redirect(back, 303)


@bp.post("/themes/move")
@roles_required(*EXECUTIVES)
def move_theme():
    """Move a comment theme to another owner (kept against its defining terms)."""
    form = ThemeMoveForm()
    back = _back(url_for("reports.overview"))
    if not form.validate_on_submit():
        flash("The theme was not moved: " + " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(back, 303)
    pulse = storage.get_pulse(get_db(), form.pulse.data)
    if pulse is None:
        abort(404, "No such survey.")
    terms = [t for t in form.terms.data.split(",") if t.strip()]
    try:
        storage.add_theme_move(get_db(), instrument_id=pulse.instrument.id, pulse_slug=pulse.slug,
                               terms=terms, owner=form.owner.data, moved_by=current_user.email)
    except storage.StorageError as exc:
        flash(f"The theme was not moved: {exc}")
        return redirect(back, 303)
    storage.audit(get_db(), current_user, "move theme", pulse.slug,
                  f"{', '.join(terms[:5])} -> {form.owner.data}")
    flash(f"Theme moved to {form.owner.data.upper()}.")
    return redirect(back, 303)
