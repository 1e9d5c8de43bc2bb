"""The themes' static word embeddings (analysis/themes/embedding.py, issue 9).

Real model files from the installed ``wordllama`` wheel, no network: the
tests fail if the files cannot be read, if the vectors stop meaning
anything, or if the embedding stops helping comments on one topic in
different words come together.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from analysis.themes import ThemeClusterer
from analysis.themes import embedding
from analysis.themes.embedding import EmbeddingUnavailable, embed_texts, embedding_width


def test_vectors_are_unit_length_deterministic_and_zero_without_tokens():
    texts = ["The pay is far too low", "", "Shifts change every week"]
    first, second = embed_texts(texts), embed_texts(list(texts))
    assert first.shape == (3, embedding_width()) == (3, 256)
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first[[0, 2]], axis=1), 1.0, rtol=1e-5)
    assert not first[1].any()


def test_close_meanings_are_closer_than_unrelated_ones():
    salary, wages, printer = embed_texts(
        ["salary far too low", "wages poor compared with market", "printer jammed again"]
    )
    assert float(salary @ wages) > float(salary @ printer) + 0.1


def test_the_model_is_read_without_importing_the_package_or_the_network():
    # Importing wordllama would reconfigure the root logger, and its own
    # loader tries huggingface.co for a file it looks for in the wrong folder.
    code = (
        "import sys, socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from analysis.themes.embedding import embed_texts\n"
        "v = embed_texts(['pay is low'])\n"
        "assert v.shape == (1, 256)\n"
        "assert 'wordllama' not in sys.modules, 'wordllama was imported'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_missing_model_says_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "wordllama" else real_find_spec(name, *a),
    )
    embedding._model.cache_clear()
    try:
        with pytest.raises(EmbeddingUnavailable, match=r"pip install wordllama==0\.4\.0\.post1.*embeddings=None"):
            embed_texts(["pay is low"])
    finally:
        monkeypatch.undo()
        embedding._model.cache_clear()
    assert embed_texts(["pay is low"]).shape == (1, 256)


def test_an_unknown_embedding_is_refused():
    with pytest.raises(ValueError, match=r"embeddings must be one of 'wordllama' or None; got 'glove'"):
        ThemeClusterer(embeddings="glove").fit(["pay is low", "training is rare"])


# Two topics whose comments share almost no word with each other: the words
# alone cannot tell which belong together, the embedding can.
_PAY = [
    "salary far below market", "wages frozen again", "bonus scheme unfair", "paid less than rivals",
    "raise never came", "income barely covers rent", "overtime unpaid", "compensation poor",
    "earnings stagnant", "payslip errors every month", "pension contributions cut", "pay low",
]
_ROTA = [
    "rota published too late", "shifts swapped without notice", "schedule changes weekly",
    "night shifts every weekend", "roster ignores holidays", "hours moved last minute",
    "timetable unpredictable", "shift patterns exhausting", "weekend rota unfair",
    "schedule posted friday night", "rotas clash with childcare", "shift swaps refused",
]


def test_the_embedding_brings_together_comments_on_one_topic_in_different_words():
    texts = _PAY + _ROTA
    truth = [0] * len(_PAY) + [1] * len(_ROTA)
    scores = {}
    for name in (None, "wordllama"):
        model = ThemeClusterer(n_themes=2, concepts=None, embeddings=name, random_state=0).fit(texts)
        scores[name] = normalized_mutual_info_score(truth, model.labels_)
    assert scores["wordllama"] >= 0.5
    assert scores["wordllama"] > scores[None] + 0.2


def test_transform_and_predict_embed_new_texts_like_the_fit():
    texts = _PAY + _ROTA
    model = ThemeClusterer(n_themes=2, concepts=None, random_state=0).fit(texts)
    np.testing.assert_array_equal(model.predict(texts), model.labels_)
    distances = model.transform(["salary frozen", "shift rota late", "n/a", None])
    assert distances.shape == (4, 2)
    assert np.all(distances[2:] == 1.0)


def test_long_texts_are_clustered_on_their_words_alone():
    # Whole documents (median above EMBEDDING_MAX_LENGTH content words): the
    # embedding is left out, and the fit is exactly the words-only one.
    from analysis.text import content_tokens
    from analysis.themes.space import EMBEDDING_MAX_LENGTH

    rng = np.random.RandomState(0)
    long_texts = []
    for topic in (_PAY, _ROTA):
        for _ in range(15):
            picks = rng.choice(len(topic), size=20, replace=True)
            long_texts.append(". ".join(topic[i] for i in picks))
    assert np.median([len(content_tokens(t)) for t in long_texts]) > EMBEDDING_MAX_LENGTH
    joined = ThemeClusterer(random_state=0).fit(long_texts)
    alone = ThemeClusterer(embeddings=None, random_state=0).fit(long_texts)
    assert joined.embedding_share_ == 0.0
    np.testing.assert_array_equal(joined.labels_, alone.labels_)
    np.testing.assert_array_equal(joined.cluster_centers_, alone.cluster_centers_)

    short = ThemeClusterer(random_state=0).fit(_PAY + _ROTA)
    assert short.embedding_share_ == 0.5
    assert short.cluster_centers_.shape[1] > alone.cluster_centers_.shape[1]
