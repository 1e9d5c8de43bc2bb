"""Construct scores on the default instrument, checked by hand."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import load_instrument, parse_instrument_text
from analysis.reliability import construct_alpha, cronbach_alpha
from analysis.scoring import MIN_ANSWERED_SHARE, construct_scores, keyed_likert, rescale

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
LIKERT = [i.id for i in INSTRUMENT.likert_items()]


def responses(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """A responses table with every Likert column, NaN where not given."""
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=LIKERT).astype(float)
    frame.index.name = "response_id"
    return frame


def test_reverse_keyed_items_are_flipped():
    table = responses({"r1": {"st_understand": 5, "st_priorities_shift": 1, "cx_voice_absent": 4}})
    keyed = keyed_likert(table, INSTRUMENT)
    assert keyed.loc["r1", "st_understand"] == 5  # not reverse-keyed
    assert keyed.loc["r1", "st_priorities_shift"] == 5  # 6 - 1
    assert keyed.loc["r1", "cx_voice_absent"] == 2  # 6 - 4
    assert list(keyed_likert(table, INSTRUMENT, "learning").columns) == [
        "lc_training",
        "lc_manager",
        "lc_overload",
    ]


def test_rescale_maps_scale_ends_to_0_and_100():
    assert rescale(np.array([1.0, 3.0, 5.0]), 5).tolist() == [0.0, 50.0, 100.0]
    assert rescale(np.array([1.0, 7.0]), 7).tolist() == [0.0, 100.0]


def test_scores_by_hand():
    table = responses(
        {
            # strategy: 5 -> 100, 4 -> 75, shift 2 -> reversed 4 -> 75  => 83.33
            # customer: 1 -> 0, 3 -> 50, voice_absent 5 -> reversed 1 -> 0 => 16.67
            # learning: all 3 -> 50
            "a": {
                "st_understand": 5, "st_line_of_sight": 4, "st_priorities_shift": 2,
                "cx_numbers": 1, "cx_promise": 3, "cx_voice_absent": 5,
                "lc_training": 3, "lc_manager": 3, "lc_overload": 3,
            },
            # two of three strategy items answered: (100 + 0) / 2 = 50; one learning item: NaN
            "b": {"st_understand": 5, "st_priorities_shift": 5, "lc_manager": 4},
        }
    )
    scores = construct_scores(table, INSTRUMENT)
    assert list(scores.columns) == ["strategy", "customer", "learning"]
    assert list(scores.index) == ["a", "b"]
    assert scores.loc["a", "strategy"] == pytest.approx(250 / 3)
    assert scores.loc["a", "customer"] == pytest.approx(50 / 3)
    assert scores.loc["a", "learning"] == 50
    assert scores.loc["b", "strategy"] == 50
    assert np.isnan(scores.loc["b", "customer"])
    assert np.isnan(scores.loc["b", "learning"])


def test_half_rule_is_the_documented_default():
    """With 3 items, 2 answers give a score and 1 does not (answered >= 0.5 * 3)."""
    assert MIN_ANSWERED_SHARE == 0.5
    table = responses({"two": {"lc_training": 5, "lc_manager": 1}, "one": {"lc_training": 5}})
    default = construct_scores(table, INSTRUMENT)["learning"]
    assert default["two"] == 50 and np.isnan(default["one"])
    lenient = construct_scores(table, INSTRUMENT, min_answered=1 / 3)["learning"]
    assert lenient["one"] == 100
    strict = construct_scores(table, INSTRUMENT, min_answered=1.0)["learning"]
    assert np.isnan(strict["two"])


def test_other_columns_are_ignored_and_index_kept():
    table = responses({"x": {"st_understand": 4, "st_line_of_sight": 4, "st_priorities_shift": 2}})
    table["department"] = "Sales"
    table["c_other"] = "hello"
    assert construct_scores(table, INSTRUMENT).loc["x", "strategy"] == 75


def test_seven_point_scale_and_construct_without_likert_items():
    instrument = parse_instrument_text(
        """
format = 1
[instrument]
id = "tiny"
version = 1
title = "Tiny"
[[constructs]]
id = "a"
name = "A"
owner = "ceo"
[[constructs]]
id = "b"
name = "B"
owner = "cmo"
[scales.agree7]
points = 7
anchors = ["1", "2", "3", "4", "5", "6", "7"]
[[items]]
id = "a1"
type = "likert"
construct = "a"
scale = "agree7"
text = "One"
[[items]]
id = "a2"
type = "likert"
construct = "a"
scale = "agree7"
reverse = true
text = "Two"
[[items]]
id = "b_goals"
type = "recall"
construct = "b"
graded_against = "goals"
text = "Goals?"
""",
        source="tiny.toml",
    )
    table = pd.DataFrame({"a1": [7.0, 4.0], "a2": [7.0, np.nan], "b_goals": ["x", None]}, index=["p", "q"])
    scores = construct_scores(table, instrument)
    assert scores.loc["p", "a"] == 50  # 7 -> 100, reversed 7 -> 1 -> 0
    assert scores.loc["q", "a"] == 50  # one of two answered is half: 4 -> 50
    assert scores["b"].isna().all()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.0, r"response 'r1', item 'cx_promise': 0\.0 is not an answer on its 5-point scale"),
        (6.0, r"item 'cx_promise': 6\.0 is not an answer"),
        (2.5, r"item 'cx_promise': 2\.5 is not an answer"),
        ("agree", r"item 'cx_promise': 'agree' is not an answer"),
    ],
)
def test_bad_likert_answers_are_named(value, message):
    table = responses({"r0": {"cx_promise": 3}, "r1": {}}).astype(object)
    table.loc["r1", "cx_promise"] = value
    with pytest.raises(ValueError, match=message):
        construct_scores(table, INSTRUMENT)


def test_missing_likert_column_is_named():
    table = responses({"r1": {"st_understand": 3}}).drop(columns="lc_manager")
    with pytest.raises(ValueError, match=f"no column for Likert item 'lc_manager' of instrument strategy-pulse v{INSTRUMENT.version}"):
        construct_scores(table, INSTRUMENT)


@pytest.mark.parametrize("share", [0, -0.5, 1.5, "half"])
def test_bad_min_answered(share):
    with pytest.raises(ValueError, match="min_answered must be a share"):
        construct_scores(responses({"r": {}}), INSTRUMENT, min_answered=share)


def test_unknown_construct_is_refused():
    with pytest.raises(KeyError, match="no construct 'culture'"):
        keyed_likert(responses({"r": {}}), INSTRUMENT, "culture")


def test_construct_alpha_reverses_before_computing():
    rng = np.random.default_rng(7)
    trait = rng.normal(size=60)
    rows = {}
    for n, t in enumerate(trait):
        def point(load, flip=False):
            x = int(np.clip(round(3 + load * t + rng.normal(scale=0.6)), 1, 5))
            return 6 - x if flip else x
        rows[f"r{n}"] = {
            "st_understand": point(1), "st_line_of_sight": point(1), "st_priorities_shift": point(1, flip=True),
            "cx_numbers": point(1), "cx_promise": point(1), "cx_voice_absent": point(1, flip=True),
            "lc_training": point(1), "lc_manager": point(1), "lc_overload": point(1, flip=True),
        }
    table = responses(rows)
    alphas = construct_alpha(table, INSTRUMENT)
    assert list(alphas) == ["strategy", "customer", "learning"]
    for construct, result in alphas.items():
        keyed = keyed_likert(table, INSTRUMENT, construct)
        assert result.alpha == cronbach_alpha(keyed).alpha
        assert result.alpha > 0.7
        raw = table[[i.id for i in INSTRUMENT.likert_items(construct)]]
        assert cronbach_alpha(raw).alpha < result.alpha - 0.3


def test_construct_alpha_names_the_construct_on_error():
    with pytest.raises(ValueError, match="construct 'strategy': Cronbach's alpha needs at least 2 respondents"):
        construct_alpha(responses({"only": {"st_understand": 3}}), INSTRUMENT)


def test_out_of_range_float_answer_is_shown_plainly():
    table = responses({"r7": {"lc_training": 9.0}})  # a float64 column, as the loader gives
    with pytest.raises(ValueError, match=r"response 'r7', item 'lc_training': 9\.0 is not an answer on its"):
        construct_scores(table, INSTRUMENT)


# --- the docs cannot drift from the code -------------------------------------------

_DOC_CONSTANT = re.compile(r"\b([A-Z][A-Z0-9_]{2,}) = (-?\d+(?:\.\d+)?)\b")


@pytest.mark.parametrize(
    ("doc", "modules"),
    [
        ("scoring.md", ["analysis.scoring", "analysis.indices", "analysis.groups", "analysis.drivers"]),
        ("recall.md", ["analysis.recall"]),
    ],
)
def test_every_constant_in_the_docs_equals_the_code(doc, modules):
    """docs/scoring.md and docs/recall.md state each threshold as `NAME = value`;
    a value that differs from the module constant is a bug in one of them."""
    import importlib

    text = (Path(__file__).resolve().parents[1] / "docs" / doc).read_text(encoding="utf-8")
    found = _DOC_CONSTANT.findall(text)
    assert found, f"docs/{doc} states no constants"
    loaded = [importlib.import_module(m) for m in modules]
    for name, value in found:
        owners = [m for m in loaded if hasattr(m, name)]
        assert owners, f"docs/{doc} names {name}, which none of {modules} defines"
        assert float(getattr(owners[0], name)) == float(value), (doc, name, value)
    # and every numeric threshold the modules export is stated in the doc
    documented = {name for name, _ in found}
    for module in loaded:
        for name in getattr(module, "__all__", []):
            if name.isupper() and isinstance(getattr(module, name), (int, float)) and name not in documented:
                assert f"{name} = " in text, f"{module.__name__}.{name} is not stated in docs/{doc}"
