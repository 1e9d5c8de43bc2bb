"""The demo organisation: Northwind Logistics' departments, people and two pulses.

Who works where (six departments of very different sizes, their teams,
leaders and tenure), how aligned each person is (a general part, a part per
construct and the department's lean: the latent every answer follows from,
see :mod:`survey_app.demo_answers`), and what the two demo pulses are graded
against. Drawn from ``random.Random`` streams seeded by the caller, so one
seed is one organisation. :mod:`survey_app.demo` puts it in the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from analysis.instrument import TENURE_BANDS
from analysis.strategy import CustomerFigure, Strategy
from survey_app import demo_text as text

CONSTRUCTS = ("strategy", "customer", "learning")
LEADER_LEVELS = ("executive", "director", "manager", "team_lead")


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


@dataclass
class Person:
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


def pick(rng: random.Random, weighted) -> str:
    """One name of ``(name, weight)`` pairs, drawn by weight (teams, topics)."""
    names, weights = zip(*weighted)
    return rng.choices(names, weights=weights)[0]


def _tenure(rng: random.Random, dept: Department, level: str) -> str:
    weights = dept.tenure
    if level in ("manager", "director", "executive"):
        weights = (0.05, 0.15, 0.35, 0.45)
    elif level == "team_lead":
        weights = (0.05, 0.3, 0.4, 0.25)
    return rng.choices(TENURE_BANDS, weights=weights)[0]


def _new_person(rng: random.Random, dept: Department, level: str) -> Person:
    return Person(
        department=dept,
        team=pick(rng, dept.teams),
        role_level=level,
        tenure_band=_tenure(rng, dept, level),
        general=rng.gauss(0, 1),
        specific={c: rng.gauss(0, 1) for c in CONSTRUCTS},
    )


def build_people(seed: int) -> list[Person]:
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
