"""Placeholder report pages, so that who-sees-what can be walked today.

Each page is protected as its real report will be: the company-wide overview
(admin, executives, analyst), each executive's report (admin and the three
executives, who work as equals), a department's report (also its own manager,
and no other manager), and the analyst's page (admin, analyst). They show the
pulses that exist and say that the reports come with the next release; they
show no figures.
"""

from __future__ import annotations

from flask import abort, render_template

from survey_app import storage
from survey_app.auth import may_see_department, roles_required
from survey_app.db import get_db
from survey_app.reports import bp

EXECUTIVES = ("admin",) + storage.EXECUTIVE_ROLES
COMPANY_WIDE = EXECUTIVES + ("analyst",)

#: Title and purpose of each executive's report.
EXECUTIVE_REPORTS = {
    "ceo": ("The chief executive's report", "Has the strategy landed: goals, recall, alignment."),
    "clo": ("The chief learning officer's report",
            "Learning and communication: what people know and where it stops."),
    "cmo": ("The chief marketing officer's report",
            "Customers and brand: the promise, the figures, and what people believe."),
}


def _placeholder(title: str, purpose: str, **context):
    return render_template(
        "reports/placeholder.html", title=title, purpose=purpose,
        pulses=storage.list_pulses(get_db()), **context,
    )


@bp.get("/")
@roles_required(*COMPANY_WIDE)
def overview():
    """The company-wide overview (admin, executives, analyst)."""
    return _placeholder("Company-wide overview", "Every pulse across the whole company.")


def _executive_view(role: str):
    title, purpose = EXECUTIVE_REPORTS[role]

    @roles_required(*EXECUTIVES)
    def view():
        return _placeholder(title, purpose)

    view.__name__ = role
    view.__doc__ = f"{title} (admin and the three executives)."
    return view


for _role in storage.EXECUTIVE_ROLES:
    bp.add_url_rule(f"/{_role}", endpoint=_role, view_func=_executive_view(_role))


@bp.get("/department/<name>")
@roles_required(*COMPANY_WIDE, "manager")
def department(name: str):
    """One department's report; a manager may open only their own."""
    if not may_see_department(name):
        abort(403, "You can open the report of your own department only.")
    return _placeholder(f"Department: {name}", f"The {name} department's results.",
                        department=name)


@bp.get("/analyst")
@roles_required("admin", "analyst")
def analyst():
    """The analyst's page: all report data and the exports."""
    return _placeholder("Analysis and exports",
                        "All report data, the exports and the analysis command line.")
