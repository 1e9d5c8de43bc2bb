"""The attacks of docs/privacy.md's threat model, tried as the adversary would.

The adversary knows everyone's department and role level (the roster) and
exactly who answered, and reads whatever leaves the app: exports, pages, the
closed pulse's raw database. Each test tries one attack on a company of 40
in departments of 1 to 12 and checks that no combination points to fewer
than five people and no comment to fewer than ten.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import random
from collections import Counter

import pytest

from analysis.coarsen import merge_plan, role_tiers
from analysis.instrument import DEFAULT_LEADERSHIP_LEVELS
from survey_app import storage

K, K_COMMENTS = 5, 10
BREAKDOWNS = ("department", "role_level")
#: Departments of 1 to 12 people: 40 in all.
SIZES = {"Board": 1, "Legal": 2, "Audit": 3, "Data": 5, "Design": 7, "Sales": 10, "Ops": 12}


def company(seed=3):
    rng = random.Random(seed)
    people = []
    for department, size in SIZES.items():
        for i in range(size):
            role = rng.choices(["staff", "team_lead", "manager", "director"], [70, 12, 12, 6])[0]
            people.append({"email": f"{department.lower()}.{i}@acme.test",
                           "department": department, "role_level": role})
    return people


def roster_csv(people):
    lines = ["email,department,team,tenure_band,role_level"]
    lines += [f"{p['email']},{p['department']},,,{p['role_level']}" for p in people]
    return "\n".join(lines) + "\n"


class Pulse:
    """A pulse of the company, answered by a known subset through real links."""

    def __init__(self, store, instrument, strategy, *, slug="q1", answer_share=0.8, seed=3):
        self.store, self.slug = store, slug
        self.people = company(seed)
        storage.create_pulse(store, slug=slug, title="Q1", period="2027-Q1",
                             instrument=instrument, strategy=strategy, open_link=True)
        storage.import_roster(store, slug, storage.parse_roster(roster_csv(self.people)))
        storage.set_pulse_status(store, slug, "open")
        self.links = {link.email: link.token for link in storage.issue_links(store, slug)}
        rng = random.Random(seed)
        self.answered = rng.sample(self.people, round(answer_share * len(self.people)))
        self.published = []  # published counts after each answer

    def answer(self, person, rng):
        comment = rng.choice([None, f"Speaking as someone in {person['department']}: fix it"])
        storage.submit_response(
            self.store, pulse_slug=self.slug, token=self.links[person["email"]],
            answers={"enps": rng.randint(0, 10), "st_understand": rng.randint(1, 5),
                     "c_other": comment},
            segments={},
        )

    def answer_all(self, watch=False):
        rng = random.Random(11)
        for person in self.answered:
            self.answer(person, rng)
            if watch:
                self.published.append(published_counts(self.store, self.slug))

    def stored_groups(self):
        """The adversary recomputes the import's merge rule from the roster."""
        counts = Counter((p["department"], p["role_level"]) for p in self.people)
        plan = merge_plan(counts, BREAKDOWNS, K, tiers=role_tiers(DEFAULT_LEADERSHIP_LEVELS))
        return {p["email"]: plan[(p["department"], p["role_level"])] for p in self.people}


def published_counts(store, slug):
    """What any page can show: published responses per group (and their sums)."""
    counts = Counter()
    for row in store.query(
        "SELECT department, role_level FROM responses WHERE pulse_slug = ? AND snapshot IS NOT NULL",
        [slug],
    ):
        counts[("company",)] += 1
        counts[("department", row["department"])] += 1
        counts[("role_level", row["role_level"])] += 1
        counts[("cell", row["department"], row["role_level"])] += 1
    return counts


@pytest.fixture
def pulse(store, instrument, strategy):
    made = Pulse(store, instrument, strategy)
    made.answer_all()
    return made


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_joining_stored_values_to_the_roster_points_to_five_or_more(pulse, store):
    # Invitations: every stored combination is held by at least five people.
    held = Counter((r["department"], r["role_level"]) for r in store["invitations"].rows)
    assert min(held.values()) >= K, held
    # The adversary's own recomputation of the merge gives the same groups.
    recomputed = Counter(pulse.stored_groups().values())
    assert recomputed == held


def test_the_closed_pulse_raw_rows_point_to_five_who_answered(pulse, store):
    storage.set_pulse_status(store, pulse.slug, "closed")
    rows = Counter((r["department"], r["role_level"]) for r in store["responses"].rows)
    assert min(rows.values()) >= K, rows
    # Knowing who answered does not help: each stored combination is shared
    # by at least five of the responses, so by five of the people who answered.
    assert sum(rows.values()) == len(pulse.answered)
    # And the batch a response was published in no longer shows.
    assert {r["snapshot"] for r in store["responses"].rows} <= {storage.latest_snapshot(store, pulse.slug)}


def test_an_export_read_beside_the_roster(pulse, store, tmp_path):
    for status in ("open", "closed"):
        storage.set_pulse_status(store, pulse.slug, status)
        out = tmp_path / status
        storage.export_pulse(store, pulse.slug, out)
        rows = read_rows(out / "responses.csv")
        combos = Counter((r["department"], r["role_level"]) for r in rows)
        assert min(combos.values()) >= K, (status, combos)
        commented = Counter((r["department"], r["role_level"]) for r in rows if r["c_other"])
        assert all(combos[c] >= K_COMMENTS for c in commented), (status, combos, commented)
        # Comments kept apart name a group of at least ten who answered: the
        # rows that could be its author's (a catch-all may hide any value).
        for comment in read_rows(out / "comments.csv"):
            key = (comment["department"], comment["role_level"])
            crowd = sum(n for combo, n in combos.items() if all(
                a == b or a.startswith("Other ") or b.startswith("Other ")
                for a, b in zip(key, combo)))
            assert crowd >= K_COMMENTS, (status, key, combos)


def test_watching_snapshots_while_people_answer(store, instrument, strategy):
    made = Pulse(store, instrument, strategy)
    made.answer_all(watch=True)
    storage.set_pulse_status(store, made.slug, "closed")
    made.published.append(published_counts(store, made.slug))
    steps = [Counter()] + made.published
    changes = 0
    for before, after in zip(steps, steps[1:]):
        for group in set(before) | set(after):
            grown = after[group] - before[group]
            # Between two consecutive snapshots, every group (and so every
            # difference of groups) changes by nothing or by five or more.
            if group[0] != "cell" or after[group]:
                assert grown == 0 or abs(grown) >= K, (group, before[group], after[group])
        changes += after != before
    assert changes >= 3  # snapshots were published along the way, not only at the end
    # Watching after one answer shows nothing new most of the time.
    assert changes < len(made.answered) / 2


def test_opening_the_links_of_a_closed_pulse_tells_nothing(db, instrument, strategy, client):
    pulse = Pulse(db, instrument, strategy)  # in the app's own database
    pulse.answer_all()
    storage.set_pulse_status(db, pulse.slug, "closed")
    answered = {p["email"] for p in pulse.answered}
    used = next(t for e, t in pulse.links.items() if e in answered)
    unused = next(t for e, t in pulse.links.items() if e not in answered)
    a, b = client.get(f"/s/{used}"), client.get(f"/s/{unused}")
    assert a.status_code == b.status_code == 410
    assert a.get_data() == b.get_data()


def test_no_date_is_kept_with_an_answer(pulse, store, tmp_path):
    for table in ("responses", "answers"):
        for column in store[table].columns_dict:
            assert not any(word in column for word in ("date", "_on", "time", "at")), column
    storage.export_pulse(store, pulse.slug, tmp_path)
    with (tmp_path / "responses.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert not any("date" in c or c.endswith("_on") or "time" in c for c in header)


def token_forms(token):
    """The token and every standard hash of it, in hex and base64."""
    forms = {token}
    for name in ("sha256", "sha1", "md5", "sha512", "blake2b"):
        digest = hashlib.new(name, token.encode()).digest()
        forms |= {digest.hex(), base64.b64encode(digest).decode().rstrip("="),
                  base64.urlsafe_b64encode(digest).decode().rstrip("=")}
    return forms


def values_leaving(store, tmp_path, slug):
    values = set()
    for table in ("responses", "answers", "snapshots"):
        for row in store[table].rows:
            values |= {str(v) for v in row.values() if v is not None}
    storage.export_pulse(store, slug, tmp_path)
    for name in ("responses.csv", "comments.csv", "pulse.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        values |= set(text.replace(",", "\n").replace('"', "\n").split())
    return {v for v in values if len(v) >= 8}


def test_nothing_stored_or_exported_is_or_hides_a_token(pulse, store, tmp_path):
    forms = set().union(*(token_forms(t) for t in pulse.links.values()))
    for value in values_leaving(store, tmp_path, pulse.slug):
        for form in forms:
            assert value != form and form not in value, value
            assert not (form.startswith(value) or form.endswith(value)), value
