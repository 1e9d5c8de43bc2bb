"""Every SQL statement the survey app runs, behind plain functions.

Views, the CLI and the demo generator call these functions and never write
SQL themselves, so the anonymity rules are enforced in one place and another
database engine can be added behind this one seam without touching a view.
One module per concern:

- :mod:`~survey_app.storage.base` — errors, token hashing, the write transaction;
- :mod:`~survey_app.storage.pulses` — instruments, pulses, strategy statements;
- :mod:`~survey_app.storage.roster` — the roster and its invitations;
- :mod:`~survey_app.storage.responses` — storing and counting responses;
- :mod:`~survey_app.storage.users` — accounts, the audit log, failed logins;
- :mod:`~survey_app.storage.export` — the analysts' export.

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
from survey_app.storage.export import EXPORT_BASE_COLUMNS, EXPORT_FORMAT, export_pulse
from survey_app.storage.pulses import (
    STATUSES,
    Pulse,
    create_pulse,
    get_pulse,
    get_pulse_by_open_token,
    get_pulse_row,
    instrument_toml,
    list_pulses,
    save_instrument,
    set_pulse_status,
)
from survey_app.storage.responses import count_responses, is_empty, submit_response
from survey_app.storage.roster import (
    Invitation,
    add_invitations,
    find_invitation,
    roster_values,
)
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
    "AlreadyAnswered",
    "AuditEntry",
    "DuplicateEmail",
    "EXECUTIVE_ROLES",
    "EXPORT_BASE_COLUMNS",
    "EXPORT_FORMAT",
    "Invitation",
    "Pulse",
    "PulseNotOpen",
    "ROLE_DESCRIPTIONS",
    "ROLES",
    "STATUSES",
    "StorageError",
    "UnknownPulse",
    "UnknownUser",
    "User",
    "UserError",
    "add_invitations",
    "audit",
    "check_role",
    "clear_login_failures",
    "count_audit",
    "count_responses",
    "count_users",
    "create_pulse",
    "create_user",
    "export_pulse",
    "find_invitation",
    "get_pulse",
    "get_pulse_by_open_token",
    "get_pulse_row",
    "get_user",
    "get_user_by_email",
    "hash_token",
    "instrument_toml",
    "is_empty",
    "list_audit",
    "list_pulses",
    "list_users",
    "login_failures",
    "normalise_email",
    "record_login",
    "record_login_failure",
    "roster_values",
    "rotate_session_token",
    "save_instrument",
    "set_disabled",
    "set_password_hash",
    "set_pulse_status",
    "set_role",
    "submit_response",
    "write_transaction",
]
