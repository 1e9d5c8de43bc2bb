"""The streaming themes (analysis/themes/streaming.py) and the pipeline over a stream (issue 11).

A labelled sample is made from the workplace development set
(``bench/data/themes_dev.tsv``): its comments drawn with replacement and
varied as bench/comments_100k.py varies them, each keeping its theme.
"""

from __future__ import annotations

import csv
import os
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from analysis import cli
from analysis.comments import COMMENT_COLUMNS, analyse_comments, analyse_comments_stream
from analysis.privacy import PrivacyPolicy
from analysis.text import is_no_content
from analysis.themes import NO_CONTENT_LABEL, OTHER_THEME_ID, ThemeClusterer
from analysis.themes.streaming import StreamingThemeClusterer, reservoir_sample

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from comments_100k import NO_CONTENT, vary  # noqa: E402


@pytest.fixture(scope="module")
def labelled():
    with open(ROOT / "bench" / "data" / "themes_dev.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    corpus = [text for _, text in rows]
    rng = random.Random(7)
    texts, truth = [], []
    for _ in range(2400):
        if rng.random() < 0.1:
            texts.append(rng.choice(NO_CONTENT))
            truth.append("none")
        else:
            theme, text = rng.choice(rows)
            texts.append(vary(text, corpus, rng))
            truth.append(theme)
    return texts, np.array(truth)


def _stream_labels(texts, **params):
    model = StreamingThemeClusterer(**params).fit(lambda: iter(texts))
    return model, np.concatenate(list(model.label_batches(iter(texts))))


def test_reservoir_sample_is_uniform_deterministic_and_in_stream_order():
    sample, positions, seen = reservoir_sample(iter(range(10_000)), 500, random_state=3)
    again, _, _ = reservoir_sample(iter(range(10_000)), 500, random_state=3)
    assert seen == 10_000 and len(sample) == 500 and sample == again
    assert sample == sorted(sample) and list(positions) == sample
    # Uniform: each tenth of the stream holds about a tenth of the sample
    # (binomial, sd ~6.7; 4 sd either side).
    counts = np.bincount(np.asarray(sample) // 1000, minlength=10)
    assert counts.min() > 50 - 27 and counts.max() < 50 + 27, counts
    short, _, seen = reservoir_sample(["a", "b"], 5)
    assert short == ["a", "b"] and seen == 2
    with pytest.raises(ValueError, match="reservoir size must be a whole number >= 1"):
        reservoir_sample(["a"], 0)


def test_streaming_themes_agree_with_the_in_memory_method_on_a_labelled_sample(labelled):
    texts, truth = labelled
    memory = ThemeClusterer(random_state=0).fit(texts).labels_
    model, streamed = _stream_labels(texts, reservoir_size=800, batch_size=300, random_state=0)
    assert model.n_seen_ == len(texts) and len(model.sample_) == 800
    content = memory != NO_CONTENT_LABEL
    # Same no-content rule, so exactly the same comments have no theme.
    assert np.array_equal(streamed == NO_CONTENT_LABEL, ~content)
    agreement = normalized_mutual_info_score(memory[content], streamed[content])
    assert agreement >= 0.6, agreement
    # And as close to the true themes as the in-memory fit (within 0.1 NMI).
    to_truth = {name: normalized_mutual_info_score(truth[content], labels[content])
                for name, labels in (("memory", memory), ("stream", streamed))}
    assert to_truth["stream"] >= to_truth["memory"] - 0.1, to_truth
    assert to_truth["stream"] > 0.5, to_truth


def test_streaming_is_deterministic_and_counts_every_text(labelled):
    texts, _ = labelled
    first, a = _stream_labels(texts, reservoir_size=600, batch_size=500, random_state=1)
    second, b = _stream_labels(texts, reservoir_size=600, batch_size=250, random_state=1)
    assert np.array_equal(a, b)  # batch size does not change a label
    assert first.sizes_ == second.sizes_
    assert sum(first.sizes_.values()) == len(texts)
    ids, counts = np.unique(a, return_counts=True)
    assert dict(zip(ids.tolist(), counts.tolist())) == first.sizes_
    # Other takes about the share the sample's fit gave it.
    sample_share = np.mean(first.model_.labels_[first.model_.labels_ != -1] == OTHER_THEME_ID)
    stream_share = np.mean(a[a != -1] == OTHER_THEME_ID)
    assert abs(stream_share - sample_share) < 0.05, (stream_share, sample_share)
    other, c = _stream_labels(texts, reservoir_size=600, batch_size=500, random_state=2)
    assert not np.array_equal(a, c) or other.sample_ != first.sample_


def test_batches_are_bounded_and_the_stream_is_not_read_ahead(labelled):
    texts, _ = labelled
    model = StreamingThemeClusterer(reservoir_size=500, batch_size=128).fit(lambda: iter(texts))
    pulled = [0]

    def counted():
        for text in texts:
            pulled[0] += 1
            yield text

    seen_batches = []
    for labels in model.label_batches(counted(), on_batch=lambda batch, labels: seen_batches.append(len(batch))):
        # When a batch's labels come out, at most that batch has been read.
        assert pulled[0] - sum(seen_batches) == 0
        assert len(labels) == seen_batches[-1]
    assert max(seen_batches) == 128 and sum(seen_batches) == len(texts)
    assert all(n == 128 for n in seen_batches[:-1])


def test_streaming_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="needs a function that opens the texts"):
        StreamingThemeClusterer().fit(["a list is read once"])
    with pytest.raises(ValueError, match="the stream was empty"):
        StreamingThemeClusterer().fit(lambda: iter([]))
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        StreamingThemeClusterer(batch_size=0).fit(lambda: iter(["pay is low"]))
    with pytest.raises(ValueError, match="needs a function that opens the texts"):
        analyse_comments_stream(["x"])


# --- the pipeline over a stream --------------------------------------------------------


def test_the_stream_pipeline_scrubs_first_and_sums_up_its_batches(labelled):
    texts, _ = labelled
    texts = list(texts)
    texts[5] = "Ask Jane Okafor or mail jane.okafor@example.com about the rota, it is awful"
    rows = []
    result = analyse_comments_stream(lambda: iter(texts), roster_names=["Jane Okafor"],
                                     reservoir_size=700, batch_size=400, sink=rows.append)
    table = pd.concat(rows)
    assert list(table.columns) == list(COMMENT_COLUMNS)
    assert table.index.tolist() == list(range(len(texts)))
    assert max(len(r) for r in rows) == 400
    shown = " ".join(table["text"]) + " ".join(t for reps in result.themes["representatives"] for t in reps)
    assert "Okafor" not in shown and "@example.com" not in shown
    assert result.scrubbed_counts["email"] >= 1 and result.scrubbed_counts["name"] >= 1
    assert result.streamed and result.comments.empty
    content = ~table["no_content"]
    assert int(result.themes["size"].sum()) == int(content.sum())
    # Each theme's size and tone are those of its rows.
    for theme in result.themes.itertuples():
        mine = table[table["theme_id"] == theme.theme_id]
        assert theme.size == len(mine)
        assert theme.mean_sentiment == pytest.approx(mine["sentiment"].mean())
        assert set(mine["theme_label"]) == {theme.label} and set(mine["owner"]) == {theme.owner}
    assert np.array_equal(table["no_content"], [is_no_content(t) for t in table["text"]])


def test_analyse_comments_streams_from_its_threshold_with_the_same_labels(labelled):
    texts, _ = labelled
    rows = []
    streamed = analyse_comments_stream(lambda: iter(texts), sink=rows.append)
    held = analyse_comments(texts, streaming_threshold=1000)
    below = analyse_comments(texts)
    assert held.streamed and not below.streamed
    assert np.array_equal(held.comments["theme_id"], pd.concat(rows)["theme_id"])
    pd.testing.assert_frame_equal(held.themes.drop(columns="mean_sentiment"),
                                  streamed.themes.drop(columns="mean_sentiment"))
    assert np.allclose(held.themes["mean_sentiment"], streamed.themes["mean_sentiment"])


def test_the_stream_shows_nothing_below_the_minimum_of_commenters():
    rows = []
    texts = ["pay is low", "n/a", "training is rare"] * 3  # 6 with content
    result = analyse_comments_stream(lambda: iter(texts), batch_size=2, sink=rows.append,
                                     policy=PrivacyPolicy(min_comments=10))
    assert rows == [] and result.themes.empty
    assert result.visibility is not None and not result.visibility.visible
    shown = analyse_comments_stream(lambda: iter(texts * 2), batch_size=2, sink=rows.append,
                                    policy=PrivacyPolicy(min_comments=10))
    assert shown.visibility.visible and sum(len(r) for r in rows) == len(texts) * 2


def test_the_command_line_streams_a_large_csv(labelled, tmp_path, capsys, monkeypatch):
    texts, _ = labelled
    source = tmp_path / "comments.csv"
    pd.DataFrame({"id": range(len(texts)), "text": list(texts)}).to_csv(source, index=False)
    out = tmp_path / "out" / "themes.csv"
    import analysis.comments

    # The documented threshold, lowered so a test-sized file crosses it.
    monkeypatch.setattr(analysis.comments, "STREAMING_THRESHOLD", 1000)
    assert cli.main(["themes", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{len(texts)} comments" in printed and "streamed" in printed
    written = pd.read_csv(out, keep_default_na=False)
    assert len(written) == len(texts)
    assert list(written.columns) == ["theme_id", "theme_label", "owner", "sentiment", "sentiment_label", "text"]
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    monkeypatch.setattr(analysis.comments, "STREAMING_THRESHOLD", 10**9)
    assert cli.main(["themes", str(source)]) == 0
    assert "streamed" not in capsys.readouterr().out


def test_the_command_line_names_the_threshold_it_uses():
    from analysis.comments import STREAMING_THRESHOLD
    from analysis.themes.streaming import DEFAULT_RESERVOIR_SIZE

    themes = cli.build_parser()._subparsers._group_actions[0].choices["themes"]
    assert f"{STREAMING_THRESHOLD:,} comments" in themes.description
    assert f"sample of {DEFAULT_RESERVOIR_SIZE:,}" in themes.description
    docs = (ROOT / "docs" / "themes.md").read_text(encoding="utf-8")
    assert f"{STREAMING_THRESHOLD:,}" in docs and f"{DEFAULT_RESERVOIR_SIZE:,}" in docs
