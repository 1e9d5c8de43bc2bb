"""Every SQL statement the survey app runs, behind plain functions.

Views, the CLI and the demo generator call these functions and never write
SQL themselves, so the anonymity rules are enforced in one place and another
database engine can be added behind this one seam without touching a view.
One module per concern:

- :mod:`~survey_app.storage.base` — errors, token hashing, the write transaction;
- :mod:`~survey_app.storage.pulses` — instruments, pulses, strategy statements;
- :mod:`~survey_app.storage.roster` — the roster and its invitations;
- :mod:`~survey_app.storage.responses` — storing and counting responses;
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

__all__ = [
    "AlreadyAnswered",
    "EXPORT_BASE_COLUMNS",
    "EXPORT_FORMAT",
    "Invitation",
    "Pulse",
    "PulseNotOpen",
    "STATUSES",
    "StorageError",
    "UnknownPulse",
    "add_invitations",
    "count_responses",
    "create_pulse",
    "export_pulse",
    "find_invitation",
    "get_pulse",
    "get_pulse_by_open_token",
    "get_pulse_row",
    "hash_token",
    "instrument_toml",
    "is_empty",
    "list_pulses",
    "roster_values",
    "save_instrument",
    "set_pulse_status",
    "submit_response",
    "write_transaction",
]
