"""A realistic demo organisation, so a first run has something worth analysing.

Northwind Logistics (fictional) has 300 people in six departments of very
different sizes and has run the default strategy pulse twice: last quarter
(closed) and this quarter (open, about two thirds answered). Everything goes
through :mod:`survey_app.storage`, exactly as real answers would, so the demo
also exercises the validation and the anonymity rules.

The answers are not uniform noise. Each person has a latent alignment per
construct (strategy, customer, learning) made of a general part, a
construct-specific part and their department's lean, and everything they
answer follows from it:

* Likert items load on their construct's latent, so the three items of a
  construct agree (Cronbach's alpha about 0.7-0.85) and reverse-keyed items
  are answered the other way round, as a consistent person would;
* managers and above get a bonus on their *self-ratings* that their knowledge
  only partly backs, which is the know-vs-feel gap leaders should see;
* knowledge answers are written in people's own words, from exact wording
  down to last quarter's goals, "no idea" or nothing, with probabilities set
  by the same latent (phrase banks in :mod:`survey_app.demo_text`);
* comments pick topics near the person's weakest construct and a tone that
  follows their general mood and eNPS;
* everyone is a little more aligned in Q4 than in Q3, so there is a trend.

Department leans: Customer Service knows its customers, Engineering does not
know the brand promise, Finance has had no training, Operations (the
frontline) trails on communication.

Everything is drawn from ``random.Random`` streams seeded from ``seed`` (no
global random state), so one seed gives the same organisation and the same
answers; only the tokens and response ids, which storage makes with
:mod:`secrets`, differ between runs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

from analysis import csv_safe, files
from analysis.instrument import load_instrument
from survey_app import demo_text as text
from survey_app import storage
from survey_app.demo_answers import add_contact_details, person_answers
from survey_app.demo_org import DEPARTMENTS, Q3_PLAN, Q4_PLAN, Person, PulsePlan, build_people

__all__ = ["DEPARTMENTS", "DemoResult", "Q3_PLAN", "Q4_PLAN", "build_people", "generate_demo"]

INSTRUMENT_PATH = Path(__file__).resolve().parents[1] / "instruments" / "strategy-pulse.toml"


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` made, and where to start answering."""

    open_links: list[tuple[str, str]]
    invitation_links_csv: Path
    sample_tokens: list[str]
    summary: str


# --- Putting it in the database ------------------------------------------------------


def _respondents(rng: random.Random, people: list[Person], n: int) -> set[int]:
    """Exactly ``n`` of ``people``, the keen and the leaders more likely to answer.

    Weighted sampling without replacement (Efraimidis and Spirakis, 2006):
    take the ``n`` largest ``u ** (1 / w)``.
    """
    keys = []
    for i, p in enumerate(people):
        weight = p.department.response_rate * math.exp(0.3 * p.general)
        weight *= 1.25 if p.role_level != "staff" else 1.0
        keys.append((rng.random() ** (1.0 / weight), i))
    return {i for _, i in sorted(keys, reverse=True)[:n]}


def _email(index: int) -> str:
    """A made-up address for the demo roster (the .example domain is reserved)."""
    return f"employee{index:04d}@northwind.example"


def _run_pulse(db, rng, plan: PulsePlan, people: list[Person], instrument, *, pii: int,
               open_link: bool, emails: list[str]) -> tuple[list[storage.IssuedLink], set[int]]:
    """Create the pulse, import its roster, answer the planned responses; leave it open.

    Goes through the same steps as an admin would (roster import with its
    merging of small groups, then links issued once), so the demo stores
    exactly what a real pulse stores. Returns the issued links (in ``people``
    order) and the indices of the people who answered.
    """
    storage.create_pulse(
        db, slug=plan.slug, title=plan.title, period=plan.period, instrument=instrument,
        strategy=plan.strategy, status="draft", open_link=open_link,
    )
    roster = [
        storage.RosterEntry(line=i + 2, email=email, segments=person.segments())
        for i, (person, email) in enumerate(zip(people, emails))
    ]
    storage.import_roster(db, plan.slug, roster)
    storage.set_pulse_status(db, plan.slug, "open")
    by_email = {link.email: link for link in storage.issue_links(db, plan.slug)}
    links = [by_email[email] for email in emails]
    chosen = sorted(_respondents(rng, people, plan.responses))
    planned = [person_answers(rng, people[i], plan, instrument) for i in chosen]
    add_contact_details(rng, planned, pii)
    for i, answers in zip(chosen, planned):
        storage.submit_response(
            db, pulse_slug=plan.slug, answers=answers, segments={}, token=links[i].token,
        )
    return links, set(chosen)


def _write_links(path: Path, rows: list[tuple[str, str]], base_url: str) -> None:
    """The demo's links file: unused links only, so any row can be opened."""
    files.make_private_dir(path.parent)
    base = base_url.rstrip("/")
    # Owner-only whatever the umask; cells guarded against formulas.
    with files.open_private(path, newline="") as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["url", "email"])
        for token, email in rows:
            writer.writerow([f"{base}/s/{token}", email])


def generate_demo(db, *, seed: int = 0, links_csv: Path, base_url: str = "") -> DemoResult:
    """Create Northwind Logistics and its two strategy pulses in ``db``.

    Parameters
    ----------
    db : sqlite_utils.Database
        From :func:`survey_app.db.connect`; migrated here if it is not yet.
    seed : int
        Same seed, same organisation and the same answers (tokens and response
        ids are random regardless: storage makes them with :mod:`secrets`).
    links_csv : Path
        Where to write the links of this quarter's unused invitations. Only
        their hashes are stored, so this file is the only place they live.
    base_url : str
        Where the app is served (``http://127.0.0.1:5000``): the file then
        holds full links ready to open. Empty gives paths (``/s/<token>``).

    Returns
    -------
    DemoResult

    Raises
    ------
    ValueError
        If the database already holds a demo pulse (the demo is made once).
    """
    from survey_app.db import migrate

    migrate(db)
    for plan in (Q3_PLAN, Q4_PLAN):
        if storage.get_pulse(db, plan.slug) is not None:
            raise ValueError(
                f"the database already has the demo pulse '{plan.slug}'; "
                "generate the demo into a fresh database"
            )
    links_csv = Path(links_csv)
    instrument = load_instrument(INSTRUMENT_PATH)
    storage.save_instrument(db, instrument)
    people = build_people(seed)

    emails = {id(p): _email(i) for i, p in enumerate(people)}
    q3_people = [p for p in people if not p.joined_after_q3]
    _run_pulse(db, random.Random(f"northwind-q3-{seed}"), Q3_PLAN, q3_people, instrument,
               pii=2, open_link=False, emails=[emails[id(p)] for p in q3_people])
    storage.set_pulse_status(db, Q3_PLAN.slug, "closed")

    q4_people = [p for p in people if not p.left_before_q4]
    links, used = _run_pulse(db, random.Random(f"northwind-q4-{seed}"), Q4_PLAN, q4_people,
                             instrument, pii=4, open_link=True,
                             emails=[emails[id(p)] for p in q4_people])
    unused_people = [i for i in range(len(q4_people)) if i not in used]
    unused = [(links[i].token, links[i].email) for i in unused_people]
    _write_links(links_csv, unused, base_url)

    # A few links to try first, from different departments.
    samples, seen = [], set()
    for i in unused_people:
        department = q4_people[i].department.name
        if department not in seen:
            seen.add(department)
            samples.append(links[i].token)
    open_token = storage.get_pulse(db, Q4_PLAN.slug).open_token
    sizes = ", ".join(f"{d.name} {d.size}" for d in DEPARTMENTS)
    summary = (
        f"Created {text.ORGANISATION}, a fictional company of {len(q4_people)} people in "
        f"{len(DEPARTMENTS)} departments ({sizes}), and two pulses of the "
        f"'{instrument.id}' instrument: '{Q3_PLAN.slug}' ({Q3_PLAN.period}, closed) with "
        f"{len(q3_people)} invitations and {Q3_PLAN.responses} responses, and "
        f"'{Q4_PLAN.slug}' ({Q4_PLAN.period}, open, with an open link) with "
        f"{len(q4_people)} invitations, {len(used)} responses so far and {len(unused)} "
        f"unused invitation links, written to {links_csv} (the only copy: only their "
        f"hashes are stored). Seed {seed}."
    )
    return DemoResult(
        open_links=[(Q4_PLAN.slug, open_token)],
        invitation_links_csv=links_csv,
        sample_tokens=samples,
        summary=summary,
    )
