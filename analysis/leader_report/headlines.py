"""What each executive's page leads with: focus areas, strengths, the
departments needing attention, and where training did not land.

The rules are in ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analysis.leader_report.values import points, signed

__all__ = [
    "EXECUTIVES",
    "HEADLINE_COUNT",
    "attention_sentence",
    "executive_headlines",
    "headline_sentence",
    "pick_focus_and_strengths",
    "training_gap",
]

EXECUTIVES = ("ceo", "clo", "cmo")
#: How many strengths, focus areas and groups needing attention a page leads with.
HEADLINE_COUNT = 3


def pick_focus_and_strengths(measures: Mapping[str, dict], own: Sequence[str],
                             others: Sequence[str] = (), count: int = HEADLINE_COUNT
                             ) -> tuple[list[str], list[str]]:
    """The rule of ``docs/reports.md``: focus areas first, then strengths.

    Each measure has a ``score`` (0-100) and an ``impact`` (its relative
    driver weight, 1 = an average driver; 1 for measures the driver analysis
    does not cover). Priority is ``(100 - score) * impact``; the ``count``
    highest of the role's ``own`` measures are the focus areas. Of the rest,
    the ``count`` highest scores are the strengths (ties: higher impact
    first). When the role's own measures cannot fill both lists, ``others``
    (the measures the other executives own) fill them, by the same rule.
    Hidden measures are skipped.

    Examples
    --------
    >>> m = {"a": {"score": 40, "impact": 2.0}, "b": {"score": 30, "impact": 0.5},
    ...      "c": {"score": 80, "impact": 1.0}, "d": {"score": None, "impact": 1.0}}
    >>> pick_focus_and_strengths(m, ["a", "b", "c", "d"], count=1)
    (['a'], ['c'])
    """
    def ranked(keys, key):
        return sorted((k for k in keys if measures.get(k, {}).get("score") is not None), key=key)

    def priority(k):
        return (-(100 - measures[k]["score"]) * measures[k]["impact"], k)

    def strength(k):
        return (-measures[k]["score"], -measures[k]["impact"], k)

    focus = ranked(own, priority)[:count]
    strengths = [k for k in ranked(own, strength) if k not in focus][:count]
    if len(focus) < count:
        focus += [k for k in ranked(others, priority) if k not in strengths][:count - len(focus)]
    if len(strengths) < count:
        strengths += [k for k in ranked(others, strength) if k not in focus][:count - len(strengths)]
    return focus, strengths


def attention_sentence(department: str, key: str, meta: dict, score: float, diff: float) -> str:
    """One plain sentence for a group needing attention, saying what it means."""
    side = "below" if diff < 0 else "above"
    tail = f"{score:.0f} of 100, {abs(diff):.0f} {side} the company."
    if key == "knowledge":
        return f"{department} knows the strategy least well: {score:.0f} of 100 on knowledge, " \
               f"{abs(diff):.0f} {side} the company."
    if meta["kind"] == "check":
        return f"{department} struggles with {meta['label'][0].lower()}{meta['label'][1:]}: {tail}"
    if meta["kind"] == "index":
        return f"{department} scores low on {meta['label'][0].lower()}{meta['label'][1:]}: {tail}"
    return f"{department} rates \u201c{meta['label'].rstrip('.')}\u201d low: {tail}"


def headline_sentence(kind: str, meta: dict, m: dict) -> str:
    score = f"{m['score']:.0f} of 100"
    change = "" if m.get("change") is None else f" ({signed(m['change'])} since the previous pulse)"
    if kind == "strength":
        return f"Strength: {_quoted(meta)} scores {score}{change}."
    drive = " and drives knowledge and eNPS more than most items" if m["impact"] > 1 else ""
    return f"Focus: {_quoted(meta)} scores {score}{change}{drive}."


def _quoted(meta: dict) -> str:
    """An item's statement in quotes; a check's or index's name as it is."""
    if meta["kind"] != "item":
        return meta["label"]
    quoted = f"\u201c{meta['label'].rstrip('.')}\u201d"
    return f"{quoted} (scored so that disagreeing is better)" if meta.get("reverse") else quoted


def executive_headlines(instrument, columns: Sequence[str], meta: Mapping[str, dict],
                        measures: Mapping[str, dict], dept_report: Mapping[str, dict]) -> dict:
    """Per executive: the key index, focus areas, strengths, and the (at most
    :data:`HEADLINE_COUNT`) departments furthest below the company on the
    executive's key measures, one measure per department."""
    departments = list(dept_report)
    headlines = {}
    for role in EXECUTIVES:
        own = [k for k in columns if meta[k]["kind"] in ("item", "check")
               and (role == "ceo" or meta[k]["owner"] == role)]
        others = [k for k in columns if meta[k]["kind"] in ("item", "check") and k not in own]
        focus, strengths = pick_focus_and_strengths(measures, own, others)
        key_measures = (["overall", "knowledge"] if role == "ceo" else []) + [
            k for k in columns if meta[k]["kind"] in ("index", "check") and meta[k]["owner"] == role]
        attention = []
        for key in dict.fromkeys(key_measures):
            for name in departments:
                cell = dept_report[name]["measures"][key]
                # Below as the page shows it: -0.3 is "0", not "0 below".
                if cell["visible"] and points(cell["diff"]) < 0:
                    attention.append((cell["diff"], name, key))
        attention.sort()
        picked, seen = [], set()
        for diff, name, key in attention:
            if name in seen:
                continue
            seen.add(name)
            cell = dept_report[name]["measures"][key]
            picked.append({"department": name, "measure": key,
                           "sentence": attention_sentence(name, key, meta[key], cell["score"], diff)})
            if len(picked) == HEADLINE_COUNT:
                break
        key_index = next(f"index_{c.id}" for c in instrument.constructs if c.owner == role) \
            if any(c.owner == role for c in instrument.constructs) else "overall"
        headlines[role] = {
            "key_index": key_index,
            "focus": [{"measure": k, "sentence": headline_sentence("focus", meta[k], measures[k])}
                      for k in focus],
            "strengths": [{"measure": k, "sentence": headline_sentence("strength", meta[k], measures[k])}
                          for k in strengths],
            "attention": picked,
        }
    return headlines


def training_gap(columns: Sequence[str], meta: Mapping[str, dict], dept_report: Mapping[str, dict]) -> dict:
    """Departments that rate their training above the company but know less
    than it: the CLO's training that did not land."""
    departments = list(dept_report)
    # Where training did not land: departments that agree they were trained
    # (training item above the company) but know less than the company.
    training = [k for k in columns if meta[k]["kind"] == "item" and meta[k]["owner"] == "clo"
                and not meta[k].get("reverse")]
    landed = []
    if training:
        train_key = training[0]
        for name in departments:
            t = dept_report[name]["measures"][train_key]
            k = dept_report[name]["measures"]["knowledge"]
            if t["visible"] and k["visible"] and t["diff"] >= 0 and points(k["diff"]) < 0:
                landed.append({"department": name, "training": t["score"], "training_diff": t["diff"],
                               "knowledge": k["score"], "knowledge_diff": k["diff"],
                               "sentence": (f"{name} rates its training {t['score']:.0f} of 100 "
                                            f"({signed(t['diff'])} on the company) but scores "
                                            f"{k['score']:.0f} on knowledge ({signed(k['diff'])}).")})
    return {"item": training[0] if training else None, "departments": landed}
