"""A submission's combination (storage.responses._placed) is what
``analysis.coarsen.place`` gives over every stored combination, though it
counts the invitations only when the answer is not already under one."""

from __future__ import annotations

import random

import pytest

from analysis.coarsen import catch_all, place
from analysis.instrument import ROLE_LEVELS, TENURE_BANDS
from survey_app import storage
from survey_app.storage.responses import _placed
from survey_app.storage.roster import stored_combinations

VALUES = {
    "department": ["Sales", "Finance", "Ops", "Legal", None],
    "team": ["North", "South", "Night", None],
    "tenure_band": [*TENURE_BANDS, None],
    "role_level": [*ROLE_LEVELS, None],
}


@pytest.mark.parametrize("breakdowns", [("department", "role_level"), ("department",),
                                        ("department", "team", "tenure_band", "role_level")])
def test_placed_is_place_over_every_stored_combination(store, instrument, strategy, breakdowns):
    rng = random.Random(f"place-{breakdowns}")
    checked = shortcut = 0
    for case in range(6):
        slug = f"p{case}"
        storage.create_pulse(store, slug=slug, title=slug, period="2026-Q4", instrument=instrument,
                             strategy=strategy, status="open", breakdowns=breakdowns)
        size = rng.choice([0, 5, 12, 40, 120])
        storage.add_invitations(store, slug, [
            {b: rng.choice(VALUES[b]) for b in breakdowns} for _ in range(size)])
        invitations = list(store.query("SELECT * FROM invitations WHERE pulse_slug = ?", [slug]))
        stored = list(stored_combinations(store, slug))
        for _ in range(60):
            combination = tuple(rng.choice(VALUES[b] + [catch_all(b)]) for b in breakdowns)
            invitation = rng.choice(invitations) if invitations and rng.random() < 0.5 else None
            if invitation is not None and rng.random() < 0.5:
                combination = tuple(invitation[b] for b in breakdowns)  # the usual case
            expected = place(combination, stored, breakdowns) if stored else combination
            assert _placed(store, slug, breakdowns, combination, invitation) == expected, (
                slug, combination, stored)
            checked += 1
            shortcut += combination in stored
    assert checked == 360 and 0 < shortcut < checked  # both paths were taken
