"""What each demo person answers: Likert items, knowledge checks, eNPS, comments.

Everything follows from the person's latent alignment per construct
(:mod:`survey_app.demo_org`): Likert items load on their construct, so a
construct's items agree; leaders rate themselves higher than their knowledge
backs (the know-vs-feel gap); knowledge answers are written in people's own
words, from the exact statement down to "no idea", with phrase banks from
:mod:`survey_app.demo_text`; comments pick topics near the person's weakest
construct, in a tone that follows their mood.
"""

from __future__ import annotations

import math
import random

from analysis.instrument import Instrument
from survey_app import demo_text as text
from survey_app.demo_org import CONSTRUCTS, Person, PulsePlan, pick

#: How much higher each level rates itself than its knowledge justifies, in
#: latent SDs: the source of the leaders-vs-staff perception gap.
SELF_RATING_BONUS = {"staff": 0.0, "team_lead": 0.3, "manager": 0.7, "director": 0.85, "executive": 1.0}
#: Share of that bonus that is real knowledge (leaders do hear more).
KNOWLEDGE_SHARE_OF_BONUS = 0.35

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
#: Share of respondents who write any comment, and of comments the share that
#: say nothing ("n/a", "no"), as real pulses have.
COMMENT_RATE = 0.66
FILLER_RATE = 0.08


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _latent(person: Person, plan: PulsePlan, rng: random.Random) -> dict[str, float]:
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


def _enps(rng: random.Random, person: Person, latent: dict[str, float]) -> int:
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


def _goals_answer(rng: random.Random, person: Person, plan: PulsePlan, k: float) -> str | None:
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


def _fill(rng: random.Random, sentence: str, person: Person, plan: PulsePlan) -> str:
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
    return pick(rng, weights.items())


def _comment(rng, person: Person, plan: PulsePlan, latent, mood: float, suggestion: bool) -> str:
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


def person_answers(rng: random.Random, person: Person, plan: PulsePlan, instrument: Instrument) -> dict:
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


def add_contact_details(rng: random.Random, planned: list[dict], count: int) -> None:
    """Put emails, phone numbers and @handles into a few comments, as people do.

    The scrubber has to remove them before any leader reads a comment, so the
    demo must contain some: each kind at least once when ``count`` >= 3.
    """
    commenters = [a for a in planned if a["c_other"] and a["c_other"] not in text.FILLERS]
    kinds = list(text.PII_SENTENCES)
    chosen = [rng.choice(text.PII_SENTENCES[kinds[i % len(kinds)]]) for i in range(count)]
    for answers, sentence in zip(rng.sample(commenters, count), chosen):
        answers["c_other"] = f"{answers['c_other']} {sentence.format(domain=text.EMAIL_DOMAIN)}"
