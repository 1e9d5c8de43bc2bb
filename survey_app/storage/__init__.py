"""Every SQL statement the survey app runs, behind plain functions.

Views, the CLI and the demo generator call these functions and never write
SQL themselves, so the anonymity rules are enforced in one place and another
database engine can be added behind this one seam without touching a view.
One module per concern:

- :mod:`~survey_app.storage.base` — errors, token hashing, the write transaction;
- :mod:`~survey_app.storage.pulses` — instruments, pulses, strategy statements;
- :mod:`~survey_app.storage.lifecycle` — opening, closing, deleting a pulse;
- :mod:`~survey_app.storage.roster` (and ``roster_file``) — the roster and its invitations;
- :mod:`~survey_app.storage.responses` — storing and counting responses;
- :mod:`~survey_app.storage.snapshots` — which responses are published;
- :mod:`~survey_app.storage.users` — accounts, the audit log, failed logins;
- :mod:`~survey_app.storage.export` — the analysts' export;
- :mod:`~survey_app.storage.reports` — cached report data, action plans, theme moves.

The tables are described in ``docs/schema.md``; the export format is the
analysts' contract in ``docs/export.md``.

Anonymity, in short: an invitation is stored only as the SHA-256 of its token
and a ``used`` flag; a response carries a random id, the pulse and its
reporting-group values, and nothing links it back to the invitation. The flag
is set in the same ``BEGIN IMMEDIATE`` transaction that stores the response, so
a token can be spent exactly once even when the same link is submitted twenty
times at once.
"""

from survey_app.storage.base import (
    AlreadyAnswered,
    PulseNotOpen,
    StorageError,
    UnknownPulse,
    hash_token,
    write_transaction,
)
from survey_app.storage.backup import backup_database
from survey_app.storage.export import EXPORT_BASE_COLUMNS, EXPORT_FORMAT, export_pulse
from survey_app.storage.export_cache import EXPORT_PARTS, export_file
from survey_app.storage.lifecycle import close_due_pulses, delete_pulse, set_pulse_status
from survey_app.storage.pulses import (
    DEFAULT_BREAKDOWNS,
    STATUSES,
    Pulse,
    StrategyFrozen,
    answer_key_gaps,
    check_can_open,
    create_pulse,
    get_pulse,
    get_pulse_by_open_token,
    get_pulse_row,
    instrument_toml,
    list_pulses,
    save_instrument,
    update_strategy,
)
from survey_app.storage.responses import count_responses, is_empty, submit_response
from survey_app.storage.wal import checkpoint_now, wal_bytes
from survey_app.storage.roster import (
    Invitation,
    IssuedLink,
    ParticipationRow,
    RosterPreview,
    add_invitations,
    add_people,
    combination_label,
    find_invitation,
    import_roster,
    issue_links,
    participation,
    preview_roster,
    roster_values,
    stored_combinations,
)
from survey_app.storage.roster_file import RosterEntry, RosterError, parse_roster
from survey_app.storage.reports import (
    MAX_PLAN_TEXT,
    PLAN_OWNERS,
    PLAN_SOURCES,
    PLAN_STATUSES,
    THEME_COUNTS,
    THEME_OWNERS,
    ActionPlan,
    add_action_plan,
    add_theme_move,
    cached_report,
    latest_cached_report,
    get_action_plan,
    list_action_plans,
    set_plan_status,
    set_theme_count,
    store_report,
    theme_count,
    theme_moves,
)
from survey_app.storage.snapshots import latest_snapshot, publish_snapshot, unpublished_count

from survey_app.storage.users import (
    EXECUTIVE_ROLES,
    ROLE_DESCRIPTIONS,
    ROLES,
    AuditEntry,
    DuplicateEmail,
    UnknownUser,
    User,
    UserError,
    audit,
    check_role,
    claim_login_attempt,
    clear_login_failures,
    count_audit,
    count_users,
    create_user,
    get_user,
    get_user_by_email,
    list_audit,
    list_users,
    login_failures,
    normalise_email,
    record_login,
    record_login_failure,
    rotate_session_token,
    set_disabled,
    set_password_hash,
    set_role,
)

__all__ = [
    "ActionPlan",
    "add_action_plan",
    "add_theme_move",
    "cached_report",
    "latest_cached_report",
    "set_theme_count",
    "theme_count",
    "THEME_COUNTS",
    "get_action_plan",
    "list_action_plans",
    "MAX_PLAN_TEXT",
    "PLAN_OWNERS",
    "PLAN_SOURCES",
    "PLAN_STATUSES",
    "set_plan_status",
    "store_report",
    "THEME_OWNERS",
    "theme_moves",
    "add_invitations",
    "add_people",
    "AlreadyAnswered",
    "audit",
    "backup_database",
    "checkpoint_now",
    "AuditEntry",
    "check_role",
    "claim_login_attempt",
    "clear_login_failures",
    "close_due_pulses",
    "combination_label",
    "count_audit",
    "count_responses",
    "count_users",
    "create_pulse",
    "create_user",
    "DEFAULT_BREAKDOWNS",
    "delete_pulse",
    "DuplicateEmail",
    "EXECUTIVE_ROLES",
    "EXPORT_BASE_COLUMNS",
    "EXPORT_FORMAT",
    "export_pulse",
    "export_file",
    "EXPORT_PARTS",
    "find_invitation",
    "get_pulse",
    "get_pulse_by_open_token",
    "get_pulse_row",
    "get_user",
    "get_user_by_email",
    "hash_token",
    "import_roster",
    "instrument_toml",
    "Invitation",
    "is_empty",
    "issue_links",
    "IssuedLink",
    "latest_snapshot",
    "list_audit",
    "list_pulses",
    "list_users",
    "login_failures",
    "normalise_email",
    "parse_roster",
    "participation",
    "ParticipationRow",
    "preview_roster",
    "publish_snapshot",
    "Pulse",
    "PulseNotOpen",
    "record_login",
    "record_login_failure",
    "ROLE_DESCRIPTIONS",
    "ROLES",
    "roster_values",
    "RosterEntry",
    "RosterError",
    "RosterPreview",
    "rotate_session_token",
    "save_instrument",
    "set_disabled",
    "set_password_hash",
    "set_pulse_status",
    "set_role",
    "STATUSES",
    "StorageError",
    "stored_combinations",
    "StrategyFrozen",
    "answer_key_gaps",
    "check_can_open",
    "submit_response",
    "UnknownPulse",
    "UnknownUser",
    "unpublished_count",
    "update_strategy",
    "User",
    "UserError",
    "wal_bytes",
    "write_transaction",
]
