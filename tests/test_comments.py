"""analyse_comments: scrub first, then sentiment, themes and routing, on real components."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.comments import COMMENT_COLUMNS, THEME_COLUMNS, analyse_comments
from analysis.instrument import load_instrument
from analysis.privacy import PrivacyPolicy
from analysis.themes import NO_CONTENT_LABEL

ROOT = Path(__file__).resolve().parents[1]

PAY = [
    "Pay is below the market rate",
    "Salaries are too low for the work we do",
    "My salary has not kept up with inflation",
    "The bonus scheme is unfair and pay is low",
    "Wages are poor compared to competitors",
]
TRAINING = [
    "We need more training on the new products",
    "No training courses since I joined",
    "The training budget was cut again",
    "Workshops and courses are far too rare",
    "Great coaching and mentoring from the learning team",
]
CUSTOMERS = [
    "Customers complain about long waiting times",
    "Too many customer complaints about late deliveries",
    "Clients are unhappy with our customer service",
    "Customer complaints are ignored by head office",
    "Our clients leave because the service is poor",
]


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(ROOT / "instruments" / "strategy-pulse.toml")


def test_zero_comments_give_empty_tables_with_the_right_columns():
    result = analyse_comments([])
    assert list(result.comments.columns) == list(COMMENT_COLUMNS)
    assert list(result.themes.columns) == list(THEME_COLUMNS)
    assert result.comments.empty and result.themes.empty
    assert result.scrubbed_counts == {}


def test_only_no_content_gives_rows_but_no_themes():
    result = analyse_comments(pd.Series(["n/a", None, np.nan, "", "No comment"]))
    assert len(result.comments) == 5
    assert result.comments["no_content"].all()
    assert (result.comments["theme_id"] == NO_CONTENT_LABEL).all()
    assert result.comments["sentiment"].isna().all()
    assert result.themes.empty and list(result.themes.columns) == list(THEME_COLUMNS)


def test_emoji_only_answers_have_no_theme_but_a_sentiment():
    texts = PAY + TRAINING + ["\U0001F44E\U0001F44E", "\U0001F44D", ":(", "-", "n/a", "", "..."]
    result = analyse_comments(texts)
    rows = result.comments.iloc[len(PAY + TRAINING):]
    # No words to theme: all of them are no-content rows with theme -1 ...
    assert rows["no_content"].all() and (rows["theme_id"] == NO_CONTENT_LABEL).all()
    # ... but emoji and emoticons carry a mood, blank and filler do not.
    assert list(rows["sentiment_label"].iloc[:3]) == ["negative", "positive", "negative"]
    assert rows["sentiment"].iloc[3:].isna().all()
    assert rows["sentiment_label"].iloc[3:].isna().all()
    # Theme tables are about themed comments only.
    assert result.themes["size"].sum() == len(PAY + TRAINING)


def test_full_pipeline_tables(instrument):
    texts = pd.Series(
        PAY + TRAINING + CUSTOMERS + ["n/a", float("nan")],
        index=[f"r{i}" for i in range(17)],
    )
    result = analyse_comments(texts, instrument=instrument, random_state=0)
    comments, themes = result.comments, result.themes
    assert list(comments.columns) == list(COMMENT_COLUMNS)
    assert list(comments.index) == list(texts.index)
    assert list(themes.columns) == list(THEME_COLUMNS)
    assert comments.loc["r15", "no_content"] and comments.loc["r16", "no_content"]
    assert not comments["no_content"].iloc[:15].any()
    assert len(themes) == 3
    assert themes["size"].sum() == 15
    assert math.isclose(themes["share"].sum(), 1.0)
    by_label = {row.label.split(", ")[0]: row for row in themes.itertuples()}
    customer_theme = next(r for r in themes.itertuples() if "customer" in r.label)
    training_theme = next(r for r in themes.itertuples() if "training" in r.label)
    assert customer_theme.owner == "cmo"
    assert training_theme.owner == "clo"
    assert customer_theme.negative_share > training_theme.negative_share
    for row in themes.itertuples():
        members = comments[comments["theme_id"] == row.theme_id]
        assert len(members) == row.size
        assert math.isclose(row.mean_sentiment, members["sentiment"].mean())
        assert (members["owner"] == row.owner).all()
        assert (members["theme_label"] == row.label).all()
        assert 1 <= len(row.representatives) <= 3
        assert set(row.representatives) <= set(members["text"])
        assert row.owner_source == "auto" and 0 <= row.owner_confidence <= 1
    assert set(comments["sentiment_label"].dropna()) <= {"positive", "neutral", "negative"}
    assert by_label  # labels are non-empty words


def test_overrides_win(instrument):
    texts = PAY + TRAINING + CUSTOMERS
    first = analyse_comments(texts, instrument=instrument)
    pay_id = int(next(r.theme_id for r in first.themes.itertuples() if "pay" in r.label))
    again = analyse_comments(texts, instrument=instrument, overrides={pay_id: "ceo"})
    row = again.themes.set_index("theme_id").loc[pay_id]
    assert row["owner"] == "ceo" and row["owner_source"] == "override"
    assert (again.comments.loc[again.comments["theme_id"] == pay_id, "owner"] == "ceo").all()
    with pytest.raises(ValueError, match="owner"):
        analyse_comments(texts, overrides={pay_id: "cfo"})


@pytest.mark.parametrize("n", [1, 3, 10])
def test_small_pulses(n):
    texts = (PAY + TRAINING)[:n]
    result = analyse_comments(texts)
    assert len(result.comments) == n
    assert (result.comments["theme_id"] >= 0).all() or n >= 10
    if n <= 3:
        assert len(result.themes) == 1


def test_nothing_unscrubbed_reaches_any_output():
    roster = ["Jane Doe", "Mark Okafor", "Priya Patel"]
    secrets = [
        "jane.doe@example.com", "Jane", "Doe", "Okafor", "Priya", "Patel",
        "+44 20 7946 0958", "7946", "555-0143", "mark", "example.com",
    ]
    texts = [
        "Pay is too low, ask Jane Doe or mail jane.doe@example.com",
        "Salaries are below market, Mark Okafor agrees, call +44 20 7946 0958",
        "My salary is poor, Priya Patel said so too",
        "Jane's team says the bonus scheme is unfair",
        "Wages lag inflation, ring +1-202-555-0143",
        "Training courses are rare, Priya Patel never got any",
        "No training for Mark Okafor's team, email mark.okafor@example.com",
        "The training budget was cut, said Jane",
        "We need more training and workshops, Priya agrees",
        "Coaching and mentoring please, Doe and Okafor asked too",
    ] * 2
    result = analyse_comments(texts, roster_names=roster, random_state=0)
    shown = []
    shown += list(result.comments["text"])
    shown += list(result.comments["theme_label"].dropna())
    for row in result.themes.itertuples():
        shown.append(row.label)
        shown += list(row.top_terms)
        shown += list(row.representatives)
    blob = " || ".join(shown).casefold()
    for secret in secrets:
        # Word boundaries: "mark" the person, not "market".
        assert re.search(rf"\b{re.escape(secret.casefold())}\b", blob) is None, secret
    assert result.scrubbed_counts.get("email", 0) == 4
    assert result.scrubbed_counts.get("phone", 0) == 4
    assert result.scrubbed_counts.get("name", 0) >= 20


def test_privacy_policy_withholds_small_comment_sets():
    policy = PrivacyPolicy(min_group=5, min_comments=10)
    few = analyse_comments(PAY + ["n/a"] * 20, policy=policy)
    assert few.comments.empty and few.themes.empty
    assert few.visibility is not None and not few.visibility.visible
    assert "10" in few.visibility.reason
    enough = analyse_comments(PAY + TRAINING, policy=policy)
    assert enough.visibility.visible and len(enough.comments) == 10


def test_edge_texts_do_not_break_the_pipeline():
    texts = PAY + TRAINING + [
        "😀👍", "Die Schulung war schlecht", "x" * 10_000,
        ("Training is poor and pay is low. " * 400)[:10_000],
    ]
    result = analyse_comments(texts)
    assert len(result.comments) == len(texts)
    assert result.comments.loc[10, "no_content"]
    assert result.themes["size"].sum() == len(texts) - 1


def test_the_same_comments_in_another_order_give_the_same_themes():
    """k-means depends on the order of its input; a pulse's rows come out of
    each database and export in another order (response ids are random), so
    the comments are fitted in text order. The themes, and each comment's
    theme, must not change when the rows are shuffled."""
    from tests.test_themes import _load

    texts, _ = _load("dev")
    first = analyse_comments(texts)
    themes = first.themes.drop(columns=["representatives"]).to_dict("records")
    assert len(themes) >= 3
    for seed in (1, 2, 3):
        order = np.random.default_rng(seed).permutation(len(texts))
        shuffled = analyse_comments([texts[i] for i in order])
        assert shuffled.themes.drop(columns=["representatives"]).to_dict("records") == themes
        assert list(shuffled.themes["representatives"]) == list(first.themes["representatives"])
        assert shuffled.comments["theme_id"].tolist() == first.comments["theme_id"].iloc[order].tolist()
