"""Routing themes to owners."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.instrument import load_instrument
from analysis.routing import (
    DEFAULT_VOCABULARY,
    ROUTES,
    Route,
    build_vocabulary,
    route_theme,
    route_themes,
)
from analysis.strategy import Strategy
from analysis.text import content_tokens

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(ROOT / "instruments" / "strategy-pulse.toml")


@pytest.fixture(scope="module")
def strategy():
    return Strategy.from_dict(
        {
            "goals": ["Expand into Germany", "Launch the Atlas platform"],
            "factors": ["Speed", "Reliability", "Ownership"],
            "brand_promise": "Fresh groceries at your door within the hour",
            "customer_figures": {"nps": {"label": "Net Promoter Score", "value": 32}},
        }
    )


@pytest.mark.parametrize(
    ("terms", "owner"),
    [
        (["training", "onboarding", "courses"], "clo"),
        (["updates", "newsletter", "meetings"], "clo"),
        (["customers", "complaints", "churn"], "cmo"),
        (["brand", "promise", "campaign"], "cmo"),
        (["priorities", "direction", "strategy"], "ceo"),
        (["roadmap", "goals", "vision"], "ceo"),
        # Themes seen on the demo pulse.
        (["buddy", "starters", "new"], "clo"),
        (["induction", "joiners", "shadowing"], "clo"),
        (["town", "halls", "director"], "clo"),
        (["managers", "brief", "pass"], "clo"),
        (["goals", "targets", "quarter"], "ceo"),
        (["customer", "service", "complaints"], "cmo"),
        # Trust in leadership is the CEO's (the 100k bench routed it to other).
        (["honest", "senior", "leaders"], "ceo"),
    ],
)
def test_default_vocabulary_routes(terms, owner):
    route = route_theme(terms)
    assert route.owner == owner
    assert 0.5 < route.confidence <= 1.0
    assert set(route.evidence) <= set(terms) and route.evidence


@pytest.mark.parametrize(
    "terms",
    [
        ["hybrid", "working", "ceo"],  # the CEO is mentioned, strategy is not the topic
        ["overtime", "weekends", "budget", "headcount"],  # workload: nobody's of the three
        ["board", "executives", "parking"],
    ],
)
def test_people_and_resourcing_words_are_not_strategy(terms):
    assert route_theme(terms).owner == "other"


def test_the_other_theme_is_never_routed_automatically():
    table = pd.DataFrame(
        {
            "theme_id": [0, -2],
            "top_terms": [["customers", "complaints"], ["customers", "brand", "nps"]],
        }
    )
    out = route_themes(table)
    assert list(out["owner"]) == ["cmo", "other"]
    assert route_themes(table, overrides={-2: "cmo"})["owner"].tolist() == ["cmo", "cmo"]


def test_no_evidence_is_other():
    assert route_theme(["parking", "canteen", "coffee"]) == Route("other", 1.0, ())
    assert route_theme([]) == Route("other", 1.0, ())


def test_tie_is_other():
    route = route_theme(["training", "customers"])
    assert route.owner == "other"
    assert set(route.evidence) == {"training", "customers"}


def test_thin_evidence_is_other():
    # Only 10% of the theme's weight is about training: not a CLO theme.
    route = route_theme([("pay", 0.6), ("salary", 0.3), ("training", 0.1)])
    assert route.owner == "other"


def test_weights_decide():
    assert route_theme([("training", 0.8), ("customers", 0.2)]).owner == "clo"
    assert route_theme([("training", 0.2), ("customers", 0.8)]).owner == "cmo"


def test_confidence_falls_with_mixed_evidence():
    clean = route_theme(["customers", "complaints", "nps"])
    mixed = route_theme([("customers", 0.4), ("complaints", 0.3), ("training", 0.3)])
    assert clean.owner == mixed.owner == "cmo"
    assert mixed.confidence < clean.confidence


def test_inflections_and_phrases_match():
    assert route_theme(["Trainings", "on-boarding process"]).owner == "clo"
    assert route_theme(["customer's feedback"]).owner == "cmo"


def test_instrument_seed_terms_add_vocabulary(instrument):
    vocab_plain = build_vocabulary()
    vocab = build_vocabulary(instrument)
    for construct in instrument.constructs:
        for term in construct.seed_terms:
            for stem in content_tokens(term):
                assert stem in vocab[construct.owner]
    assert vocab_plain["ceo"] <= vocab["ceo"]


def test_strategy_words_route(strategy):
    terms = ["atlas", "platform", "launch"]
    assert route_theme(terms).owner == "other"
    assert route_theme(terms, strategy=strategy).owner == "ceo"
    groceries = ["groceries", "door", "fresh"]
    assert route_theme(groceries).owner == "other"
    assert route_theme(groceries, strategy=strategy).owner == "cmo"


def test_strategy_does_not_steal_claimed_words():
    s = Strategy.from_dict({"goals": ["Raise NPS with better training"]})
    vocab = build_vocabulary(strategy=s)
    assert "nps" not in vocab["ceo"] and "nps" in vocab["cmo"]
    assert route_theme(["nps", "score"], strategy=s).owner == "cmo"


def test_texts_as_evidence():
    route = route_theme([], texts=["The onboarding course was rushed", "No training at all"])
    assert route.owner == "clo"
    # Texts weigh less than terms.
    assert route_theme(["customers", "complaints"], texts=["training training"]).owner == "cmo"


@pytest.mark.parametrize("bad", [[("x",)], [("x", "heavy")], [("x", -1.0)], [(3, 1.0)]])
def test_bad_terms(bad):
    with pytest.raises(ValueError, match=r"terms\[0\]"):
        route_theme(bad)


def _table():
    return pd.DataFrame(
        {
            "theme_id": [0, 1, 2, -2],
            "label": ["training", "customers", "pay", "other"],
            "top_terms": [
                ["training", "onboarding", "course"],
                ["customers", "complaints", "nps"],
                ["pay", "salary", "bonus"],
                ["misc"],
            ],
            "term_weights": [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [1.0]],
            "representatives": [["More training please"], ["Customers are upset"], ["Pay more"], []],
            "size": [10, 8, 5, 1],
        }
    )


def test_route_themes_adds_columns(instrument, strategy):
    table = _table()
    out = route_themes(table, instrument=instrument, strategy=strategy)
    assert list(out["owner"]) == ["clo", "cmo", "other", "other"]
    assert list(out["owner_source"]) == ["auto"] * 4
    assert out["owner_confidence"].between(0, 1).all()
    assert out["owner_confidence"].dtype == "float64"
    assert "owner" not in table.columns  # input untouched
    assert list(out.columns[: len(table.columns)]) == list(table.columns)


def test_overrides_win():
    out = route_themes(_table(), overrides={1: "ceo", "2": "clo", 99: "cmo"})
    assert list(out["owner"]) == ["clo", "ceo", "clo", "other"]
    assert list(out["owner_source"]) == ["auto", "override", "override", "auto"]
    assert out.loc[1, "owner_confidence"] == 1.0


def test_unknown_override_owner():
    with pytest.raises(ValueError) as err:
        route_themes(_table(), overrides={2: "cfo"})
    message = str(err.value)
    assert "theme 2" in message and "'cfo'" in message
    for owner in ROUTES:
        assert owner in message


def test_route_themes_without_weights_or_texts():
    table = _table().drop(columns=["term_weights", "representatives"])
    out = route_themes(table)
    assert list(out["owner"])[:2] == ["clo", "cmo"]


def test_route_themes_empty_table():
    empty = pd.DataFrame({"theme_id": pd.Series([], dtype="int64"),
                          "top_terms": pd.Series([], dtype=object)})
    out = route_themes(empty)
    assert len(out) == 0
    assert {"owner", "owner_confidence", "owner_source"} <= set(out.columns)


def test_route_themes_missing_column():
    with pytest.raises(ValueError, match="top_terms"):
        route_themes(pd.DataFrame({"theme_id": [0]}))


def test_default_vocabulary_owners_are_the_instrument_owners():
    assert set(DEFAULT_VOCABULARY) == set(ROUTES) - {"other"}
