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

import csv
import math
import os
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from analysis.instrument import TENURE_BANDS, Instrument, load_instrument
from analysis.strategy import CustomerFigure, Strategy
from survey_app import demo_text as text
from survey_app import storage

INSTRUMENT_PATH = Path(__file__).resolve().parents[1] / "instruments" / "strategy-pulse.toml"
CONSTRUCTS = ("strategy", "customer", "learning")
LEADER_LEVELS = ("executive", "director", "manager", "team_lead")

#: How much higher each level rates itself than its knowledge justifies, in
#: latent SDs: the source of the leaders-vs-staff perception gap.
SELF_RATING_BONUS = {"staff": 0.0, "team_lead": 0.3, "manager": 0.7, "director": 0.85, "executive": 1.0}
#: Share of that bonus that is real knowledge (leaders do hear more).
KNOWLEDGE_SHARE_OF_BONUS = 0.35


@dataclass(frozen=True)
class Department:
    name: str
    size: int
    #: (team name, share of the department's staff)
    teams: tuple[tuple[str, float], ...]
    #: head count per leader level; the rest are staff
    leaders: dict[str, int]
    #: offset of the department's mean latent per construct
    lean: dict[str, float]
    #: response propensity (relative)
    response_rate: float
    #: extra offset on the brand-promise item and check only
    brand_lean: float = 0.0
    #: weights of TENURE_BANDS for staff
    tenure: tuple[float, float, float, float] = (0.2, 0.25, 0.3, 0.25)


DEPARTMENTS = (
    Department(
        "Operations", 95,
        (("Warehouse North", 0.3), ("Warehouse South", 0.25), ("Fleet & Dispatch", 0.25),
         ("Returns", 0.1), ("Network Planning", 0.1)),
        {"executive": 1, "director": 2, "manager": 6, "team_lead": 8},
        {"strategy": -0.15, "customer": -0.2, "learning": -0.45},
        response_rate=0.58, tenure=(0.28, 0.27, 0.25, 0.2),
    ),
    Department(
        "Customer Service", 70,
        (("Phone Support", 0.4), ("Chat & Email", 0.3), ("Key Accounts Care", 0.15), ("Claims", 0.15)),
        {"executive": 0, "director": 1, "manager": 4, "team_lead": 6},
        {"strategy": -0.1, "customer": 0.85, "learning": 0.15},
        response_rate=0.72, brand_lean=0.3, tenure=(0.3, 0.3, 0.25, 0.15),
    ),
    Department(
        "Sales", 55,
        (("Enterprise Sales", 0.35), ("SMB Sales", 0.4), ("Account Management", 0.25)),
        {"executive": 1, "director": 1, "manager": 4, "team_lead": 3},
        {"strategy": 0.35, "customer": 0.4, "learning": 0.0},
        response_rate=0.64,
    ),
    Department(
        "Engineering", 40,
        (("Platform", 0.35), ("Customer Portal", 0.4), ("Data", 0.25)),
        {"executive": 1, "director": 1, "manager": 3, "team_lead": 3},
        {"strategy": 0.15, "customer": -0.35, "learning": 0.1},
        response_rate=0.62, brand_lean=-1.1, tenure=(0.2, 0.3, 0.35, 0.15),
    ),
    Department(
        "Marketing", 25,
        (("Brand & Content", 0.55), ("Growth", 0.45)),
        {"executive": 1, "director": 1, "manager": 2, "team_lead": 1},
        {"strategy": 0.25, "customer": 0.55, "learning": 0.2},
        response_rate=0.8, brand_lean=0.5,
    ),
    Department(
        "Finance", 15,
        (("Accounting", 0.6), ("FP&A", 0.4)),
        {"executive": 1, "director": 0, "manager": 2, "team_lead": 1},
        {"strategy": 0.3, "customer": -0.3, "learning": -1.2},
        response_rate=0.9, tenure=(0.1, 0.2, 0.35, 0.35),
    ),
)

#: Likert items: (intercept, loading) on their construct's latent. Intercepts
#: place each item's mean where such items land in practice (few people know
#: the customer figures; most feel updates get lost).
LIKERT_PARAMS = {
    "st_understand": (0.35, 0.95),
    "st_line_of_sight": (0.15, 0.9),
    "st_priorities_shift": (-0.15, 0.85),
    "cx_numbers": (-0.55, 0.95),
    "cx_promise": (0.0, 0.9),
    "cx_voice_absent": (-0.1, 0.85),
    "lc_training": (-0.25, 0.95),
    "lc_manager": (0.1, 0.9),
    "lc_overload": (-0.5, 0.85),
}
LIKERT_NOISE_SD = 0.75
DONT_KNOW_RATE = {"cx_numbers": 0.07, "cx_promise": 0.04, "lc_training": 0.04}
DEFAULT_DONT_KNOW_RATE = 0.015


@dataclass(frozen=True)
class PulsePlan:
    """One demo pulse: what it is, what it is graded against, who answers."""

    slug: str
    period: str
    title: str
    strategy: Strategy
    starts: date
    responses: int
    #: latent shift of everyone this quarter (the trend)
    shift: float
    older_goals: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate_demo` made, and where to start answering."""

    open_links: list[tuple[str, str]]
    invitation_links_csv: Path
    sample_tokens: list[str]
    summary: str


@dataclass
class _Person:
    department: Department
    team: str
    role_level: str
    tenure_band: str
    general: float
    specific: dict[str, float]
    joined_after_q3: bool = False
    left_before_q4: bool = False
    period_noise: dict[str, dict[str, float]] = field(default_factory=dict)

    def segments(self) -> dict[str, str]:
        return {
            "department": self.department.name,
            "team": self.team,
            "tenure_band": self.tenure_band,
            "role_level": self.role_level,
        }


def _figures(nps: float, csat: float) -> dict[str, CustomerFigure]:
    return {
        "nps": CustomerFigure(key="nps", label="Net Promoter Score", value=nps, min=-100.0, max=100.0),
        "csat": CustomerFigure(key="csat", label="Customer satisfaction", value=csat, unit="%",
                               min=0.0, max=100.0),
    }


Q3_PLAN = PulsePlan(
    slug="demo-2026-q3",
    period="2026-Q3",
    title=f"{text.ORGANISATION}: strategy pulse, Q3 2026",
    strategy=Strategy(
        goals=text.Q3_GOALS,
        factors=text.FACTORS,
        brand_promise=text.BRAND_PROMISE,
        customer_figures=_figures(27.0, 81.0),
        previous_goals=text.Q2_GOALS,
    ),
    starts=date(2026, 9, 7),
    responses=170,
    shift=-0.25,
)
Q4_PLAN = PulsePlan(
    slug="demo-2026-q4",
    period="2026-Q4",
    title=f"{text.ORGANISATION}: strategy pulse, Q4 2026",
    strategy=Strategy(
        goals=text.Q4_GOALS,
        factors=text.FACTORS,
        brand_promise=text.BRAND_PROMISE,
        customer_figures=_figures(32.0, 84.0),
        previous_goals=text.Q3_GOALS,
    ),
    starts=date(2026, 11, 16),
    responses=200,
    shift=0.0,
    older_goals=text.Q2_GOALS,
)

#: People who answered Q3 and have left since (on the Q3 roster only).
LEAVERS = 12
#: Share of this year's starters who joined after the Q3 pulse.
JOINED_AFTER_Q3 = 0.55
COMMENT_RATE = 0.66
FILLER_RATE = 0.08


# --- The organisation ----------------------------------------------------------


def _pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted)
    return rng.choices(names, weights=weights)[0]


def _tenure(rng: random.Random, dept: Department, level: str) -> str:
    weights = dept.tenure
    if level in ("manager", "director", "executive"):
        weights = (0.05, 0.15, 0.35, 0.45)
    elif level == "team_lead":
        weights = (0.05, 0.3, 0.4, 0.25)
    return rng.choices(TENURE_BANDS, weights=weights)[0]


def _new_person(rng: random.Random, dept: Department, level: str) -> _Person:
    return _Person(
        department=dept,
        team=_pick(rng, dept.teams),
        role_level=level,
        tenure_band=_tenure(rng, dept, level),
        general=rng.gauss(0, 1),
        specific={c: rng.gauss(0, 1) for c in CONSTRUCTS},
    )


def build_people(seed: int) -> list[_Person]:
    """Everyone at Northwind this quarter, plus last quarter's leavers (flagged)."""
    rng = random.Random(f"northwind-people-{seed}")
    people = []
    for dept in DEPARTMENTS:
        levels = [lvl for lvl in LEADER_LEVELS for _ in range(dept.leaders.get(lvl, 0))]
        levels += ["staff"] * (dept.size - len(levels))
        for level in levels:
            person = _new_person(rng, dept, level)
            person.joined_after_q3 = person.tenure_band == "lt1" and rng.random() < JOINED_AFTER_Q3
            people.append(person)
    total = sum(d.size for d in DEPARTMENTS)
    for dept in DEPARTMENTS:
        for _ in range(round(LEAVERS * dept.size / total)):
            person = _new_person(rng, dept, "staff")
            person.left_before_q4 = True
            people.append(person)
    return people


# --- Answers -------------------------------------------------------------------


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _latent(person: _Person, plan: PulsePlan, rng: random.Random) -> dict[str, float]:
    """The person's alignment per construct this quarter (before any bonus)."""
    noise = person.period_noise.setdefault(plan.period, {c: rng.gauss(0, 1) for c in CONSTRUCTS})
    latent = {}
    for c in CONSTRUCTS:
        z = person.department.lean[c] + plan.shift + 0.7 * person.general
        z += 0.6 * person.specific[c] + 0.3 * noise[c]
        if c == "strategy" and person.tenure_band == "lt1":
            z -= 0.3
        latent[c] = z
    return latent


def _likert(rng: random.Random, item_id: str, reverse: bool, z: float, *, allow_na: bool = True) -> int | None:
    """A 1..5 answer from a latent, raw (a reverse-keyed item is answered low when aligned)."""
    rate = DONT_KNOW_RATE.get(item_id, DEFAULT_DONT_KNOW_RATE)
    if rng.random() < rate * (1.5 if z < 0 else 0.7) and allow_na:
        return None
    intercept, loading = LIKERT_PARAMS[item_id]
    x = 3 + intercept + loading * z + rng.gauss(0, LIKERT_NOISE_SD)
    value = min(5, max(1, int(math.floor(x + 0.5))))
    return 6 - value if reverse else value


def _enps(rng: random.Random, person: _Person, latent: dict[str, float]) -> int:
    mean_z = sum(latent.values()) / len(latent)
    x = 7.2 + 1.2 * person.general + 0.5 * mean_z + rng.gauss(0, 1.2)
    return min(10, max(0, int(math.floor(x + 0.5))))


def _written(rng: random.Random, statement: str, variants: dict, exact_p: float) -> str:
    """One remembered statement in the person's own words."""
    forms = variants.get(statement, {})
    roll = rng.random()
    if roll < exact_p or not forms:
        out = statement
    elif roll < exact_p + (1 - exact_p) * 0.55:
        out = rng.choice(forms["paraphrase"])
    else:
        out = rng.choice(forms["abbreviated"])
    if rng.random() < 0.22:
        out = text.add_typo(out, rng)
    if rng.random() < 0.25:
        out = out.lower()
    return out


def _join_lines(rng: random.Random, lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    roll = rng.random()
    if roll < 0.55:
        return "\n".join(lines)
    if roll < 0.75:
        return ", ".join(lines)
    if roll < 0.87:
        return "; ".join(lines)
    if roll < 0.94:
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
    return "\n".join(f"- {line}" for line in lines)


def _unknown(rng: random.Random, vague: tuple[str, ...], p_vague: float) -> str | None:
    roll = rng.random()
    if roll < p_vague:
        return rng.choice(vague)
    if roll < p_vague + (1 - p_vague) * 0.5:
        return rng.choice(text.NO_IDEA)
    return None


def _goals_answer(rng: random.Random, person: _Person, plan: PulsePlan, k: float) -> str | None:
    """What the person writes for "what are this quarter's goals?"."""
    s = k + rng.gauss(0, 0.6)
    current = plan.strategy.goals
    previous = plan.strategy.previous_goals
    saw_previous = not (person.tenure_band == "lt1" and rng.random() < 0.7)
    if s < -1.3:
        return _unknown(rng, text.VAGUE_GOALS, 0.3)
    if s < -0.6:
        if saw_previous and rng.random() < 0.55:
            # Last quarter's goals, believed to be this quarter's.
            n = rng.choice((1, 2, 2, 3))
            lines = [_written(rng, g, text.GOAL_VARIANTS, 0.35) for g in rng.sample(previous, n)]
            return _join_lines(rng, lines)
        return _unknown(rng, text.VAGUE_GOALS, 0.6)
    if s < 0.0:
        n_current, n_previous = 1, rng.choice((0, 1, 1, 2)) if saw_previous else 0
    elif s < 0.7:
        n_current, n_previous = 2, 1 if saw_previous and rng.random() < 0.25 else 0
    else:
        n_current, n_previous = 3, 0
    exact_p = min(0.45, max(0.05, 0.15 + 0.15 * k))
    lines = [_written(rng, g, text.GOAL_VARIANTS, exact_p) for g in rng.sample(current, n_current)]
    lines += [_written(rng, g, text.GOAL_VARIANTS, 0.3) for g in rng.sample(previous, n_previous)]
    if plan.older_goals and person.tenure_band == "6plus" and rng.random() < 0.05:
        lines.append(_written(rng, rng.choice(plan.older_goals), text.GOAL_VARIANTS, 0.2))
    if n_current < 3 and rng.random() < 0.15:
        lines.append(rng.choice(text.VAGUE_GOALS))
    rng.shuffle(lines)
    return _join_lines(rng, lines)


def _factors_answer(rng: random.Random, plan: PulsePlan, k: float) -> str | None:
    s = k + rng.gauss(0, 0.6)
    factors = plan.strategy.factors
    if s < -1.2:
        return _unknown(rng, text.VAGUE_FACTORS, 0.35)
    if s < -0.5:
        if rng.random() < 0.45:
            # The values poster, mistaken for the factors for excellence.
            lines = list(rng.sample(text.OLD_VALUES, rng.choice((2, 3))))
            return _join_lines(rng, [line.lower() if rng.random() < 0.3 else line for line in lines])
        return _unknown(rng, text.VAGUE_FACTORS, 0.6)
    n = 1 if s < 0.1 else 2 if s < 0.8 else 3
    exact_p = min(0.65, max(0.15, 0.35 + 0.2 * k))
    lines = [_written(rng, f, text.FACTOR_VARIANTS, exact_p) for f in rng.sample(factors, n)]
    if n < 3 and rng.random() < 0.3:
        lines.append(rng.choice(text.OLD_VALUES + text.VAGUE_FACTORS))
    rng.shuffle(lines)
    return _join_lines(rng, lines)


def _brand_answer(rng: random.Random, plan: PulsePlan, k: float) -> str | None:
    s = k + rng.gauss(0, 0.6)
    if s < -1.2:
        return _unknown(rng, text.VAGUE_BRAND, 0.35)
    if s < -0.5:
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(text.OLD_TAGLINES)
        return _unknown(rng, text.VAGUE_BRAND, 0.55)
    if s < 0.2:
        out = rng.choice(text.BRAND_VARIANTS["partial"])
    elif s < 0.9 or rng.random() < 0.5:
        out = rng.choice(text.BRAND_VARIANTS["paraphrase"])
    else:
        out = plan.strategy.brand_promise
    if rng.random() < 0.2:
        out = text.add_typo(out, rng)
    if rng.random() < 0.2:
        out = out.lower()
    return out


def _nps_estimate(rng: random.Random, plan: PulsePlan, k: float) -> float | None:
    """A guess at the customer NPS: close for the informed, wild or blank otherwise."""
    true = plan.strategy.customer_figures["nps"].value
    if rng.random() < _sigmoid(-0.9 - 1.3 * k):
        return None
    s = k + rng.gauss(0, 0.7)
    if s > 0.8:
        guess = true + rng.gauss(0, 4)
    elif s > -0.3:
        guess = true + rng.gauss(0, 15)
    else:
        roll = rng.random()
        if roll < 0.25:
            # Confused with CSAT (a percentage) or a score out of 10.
            guess = rng.choice((plan.strategy.customer_figures["csat"].value, 80, 85, 8, 7.5, 9))
        elif roll < 0.4:
            guess = rng.choice((0, 50, 70, 100, -10))
        else:
            guess = rng.uniform(-30, 90)
    guess = round(guess) if rng.random() < 0.9 else round(guess * 2) / 2
    return float(min(100, max(-100, guess)))


def _lower_first(sentence: str) -> str:
    """Lower-case the first letter unless it starts "I", "I'm" or an acronym (NPS)."""
    first = sentence.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or (len(first) > 1 and first[:2].isupper()):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def _with_opener(opener: str, sentence: str) -> str:
    if not opener:
        return sentence
    if sentence.lower().startswith(opener.strip().lower()):
        return sentence  # "Maybe maybe ..."
    return opener + _lower_first(sentence)


def _fill(rng: random.Random, sentence: str, person: _Person, plan: PulsePlan) -> str:
    dept = person.department.name
    filled = sentence.format(
        place=rng.choice(text.PLACES[dept]),
        system=rng.choice(text.SYSTEMS[dept]),
        dept=dept if rng.random() < 0.7 else person.team,
        leader=rng.choice(text.LEADERS),
        goal=rng.choice(text.GOAL_NICKNAMES[plan.period]),
        weeks=rng.choice(("two", "three", "six", "4", "5")),
        figure=rng.choice(("NPS", "CSAT", "complaints")),
    )
    return filled[:1].upper() + filled[1:]


def _tone(rng: random.Random, mood: float, suggestion: bool) -> str:
    if mood < -0.5:
        weights = (0.65, 0.3, 0.05)
    elif mood > 0.7:
        weights = (0.15, 0.35, 0.5)
    else:
        weights = (0.35, 0.45, 0.2)
    if suggestion:
        weights = (weights[0] * 0.7, weights[1] * 1.6, weights[2] * 0.6)
    return rng.choices(("neg", "neu", "pos"), weights=weights)[0]


def _topic(rng: random.Random, latent: dict[str, float], suggestion: bool) -> str:
    """Strategy, customers or communication for the clarity question; anything otherwise."""
    weakest = min(latent, key=latent.get)
    owner = {"strategy": "ceo", "customer": "cmo", "learning": "clo"}[weakest]
    weights = {"ceo": 0.4, "cmo": 0.3, "clo": 0.3} if suggestion else {
        "ceo": 0.2, "cmo": 0.15, "clo": 0.2, "work": 0.45}
    weights[owner] += 0.35
    return _pick(rng, weights.items())


def _comment(rng, person: _Person, plan: PulsePlan, latent, mood: float, suggestion: bool) -> str:
    if rng.random() < FILLER_RATE:
        return rng.choice(text.FILLERS)
    topic = _topic(rng, latent, suggestion)
    tone = _tone(rng, mood, suggestion)
    opener = rng.choice(text.OPENERS[tone])
    sentence = _fill(rng, rng.choice(text.COMMENT_SENTENCES[topic][tone]), person, plan)
    parts = [_with_opener(opener, sentence)]
    elaboration = rng.choice(text.ELABORATIONS[tone])
    if elaboration:
        parts.append(elaboration)
    out = " ".join(parts)
    if rng.random() < 0.3:
        # A second thought, often on another topic and in another mood.
        topic2 = _topic(rng, latent, False)
        tone2 = _tone(rng, mood, False)
        second = _fill(rng, rng.choice(text.COMMENT_SENTENCES[topic2][tone2]), person, plan)
        connector = rng.choice(text.CONNECTORS)
        if out.endswith(("?", "!")) and connector[0] in ".!":
            # "...after? Also, ..." rather than "...after?. Also, ..."
            connector = " " + connector[2:]
            connector = connector[:2].upper() + connector[2:]
        elif out.endswith("."):
            out = out[:-1]
        if connector.strip() not in ("", "."):
            second = _lower_first(second)
        out = out + connector + second
    closer = rng.choice(text.CLOSERS)
    if closer:
        out = f"{out} {closer}"
    return text.restyle(out, rng)


def _answers(rng: random.Random, person: _Person, plan: PulsePlan, instrument: Instrument) -> dict:
    latent = _latent(person, plan, rng)
    bonus = SELF_RATING_BONUS[person.role_level]
    answers: dict[str, int | float | str | None] = {}
    dont_know: set[str] = set()
    for item in instrument.likert_items():
        z = latent[item.construct] + bonus
        if item.id in ("cx_promise",):
            z += person.department.brand_lean
        # At most one "don't know" per construct, so every demo respondent
        # keeps a score under the half rule of construct scoring.
        value = _likert(rng, item.id, item.reverse, z, allow_na=item.construct not in dont_know)
        if value is None:
            dont_know.add(item.construct)
        answers[item.id] = value
    knowledge = {c: latent[c] + KNOWLEDGE_SHARE_OF_BONUS * bonus + rng.gauss(0, 0.4) for c in CONSTRUCTS}
    answers["k_goals"] = _goals_answer(rng, person, plan, knowledge["strategy"])
    answers["k_factors"] = _factors_answer(rng, plan, knowledge["strategy"] + 0.2)
    answers["k_nps"] = _nps_estimate(rng, plan, knowledge["customer"] - 0.2)
    answers["k_brand"] = _brand_answer(rng, plan, knowledge["customer"] + person.department.brand_lean)
    enps = _enps(rng, person, latent)
    answers["enps"] = enps
    mood = 0.6 * person.general + 0.25 * (enps - 7) + rng.gauss(0, 0.5)
    answers["c_clarity"] = answers["c_other"] = None
    if rng.random() < COMMENT_RATE:
        roll = rng.random()
        if roll < 0.75:
            answers["c_clarity"] = _comment(rng, person, plan, latent, mood, suggestion=True)
        if roll >= 0.35:
            answers["c_other"] = _comment(rng, person, plan, latent, mood, suggestion=False)
    return answers


def _add_contact_details(rng: random.Random, planned: list[dict], count: int) -> None:
    """Put emails, phone numbers and @handles into a few comments, as people do.

    The scrubber has to remove them before any leader reads a comment, so the
    demo must contain some: each kind at least once when ``count`` >= 3.
    """
    commenters = [a for a in planned if a["c_other"] and a["c_other"] not in text.FILLERS]
    kinds = list(text.PII_SENTENCES)
    chosen = [rng.choice(text.PII_SENTENCES[kinds[i % len(kinds)]]) for i in range(count)]
    for answers, sentence in zip(rng.sample(commenters, count), chosen):
        answers["c_other"] = f"{answers['c_other']} {sentence.format(domain=text.EMAIL_DOMAIN)}"


# --- Putting it in the database ------------------------------------------------------


def _respondents(rng: random.Random, people: list[_Person], n: int) -> set[int]:
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


def _run_pulse(db, rng, plan: PulsePlan, people: list[_Person], instrument, *, pii: int,
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
    planned = [_answers(rng, people[i], plan, instrument) for i in chosen]
    _add_contact_details(rng, planned, pii)
    for i, answers in zip(chosen, planned):
        storage.submit_response(
            db, pulse_slug=plan.slug, answers=answers, segments={}, token=links[i].token,
        )
    return links, set(chosen)


def _write_links(path: Path, rows: list[tuple[str, str]], base_url: str) -> None:
    """The demo's links file: unused links only, so any row can be opened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
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
