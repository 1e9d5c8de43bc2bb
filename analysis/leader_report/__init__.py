"""The leaders' reports as data: one JSON-ready dict per published snapshot.

The app's report pages (``survey_app/reports/``) render this dict and compute
nothing: every score, difference, share and sentence is made here, from the
functions of :mod:`analysis.report`, :mod:`analysis.groups`,
:mod:`analysis.indices`, :mod:`analysis.drivers` and :mod:`analysis.comments`,
so no formula is written twice and an export gives the same report as the
database.

Privacy is decided **once for the union of every page and download**: every
group any role's report shows (the company, each department, leaders and staff,
each restricted to the respondents who answered the measure) goes into one call
of :func:`analysis.privacy.protect`. A role sees a subset of those groups, and a
subset of groups that passed the rules together passes them too (a leak among
fewer groups is a leak among more), so each role's union is covered. The rules
for picking strengths, focus areas and groups needing attention are in
``docs/reports.md``.

The package, one module per part of the report: :mod:`.measures` (every
measure per respondent, the groups privacy decides on, bands, estimate bins
and the trend), :mod:`.headlines` (strengths, focus areas, groups needing
attention, where training did not land), :mod:`.themes` (the comments'
themes, per department, and the leaders' theme moves), :mod:`.builder`
(the report itself) and :mod:`.plans` (how a measure changed between two
reports, for the action plans).
"""

from .builder import REPORT_VERSION, build_leader_report
from .headlines import EXECUTIVES, pick_focus_and_strengths
from .measures import favourable_bands, merged_bins
from .plans import measure_change
from .themes import apply_theme_moves, match_theme

__all__ = [
    "EXECUTIVES",
    "REPORT_VERSION",
    "apply_theme_moves",
    "build_leader_report",
    "favourable_bands",
    "match_theme",
    "measure_change",
    "merged_bins",
    "pick_focus_and_strengths",
]
