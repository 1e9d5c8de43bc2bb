"""Static word embeddings: what two comments mean when they share no word.

Why: TF-IDF and LSA only bring two comments together when they share words
(or words that co-occur in *this* corpus). A 27-word comment shares few
words with another on the same topic ("the rota is a mess" / "shifts change
every week"), so k-means on words alone cuts each short-text topic into
word-specific fragments. Token vectors learned on a large general corpus
know that "rota" and "shift" are close. Measured on 50 public labelled
corpora (``docs/themes.md``, step 4b and "Sixth pass"): on the 34 short ones
mean NMI 0.443 -> 0.547 and ARI 0.370 -> 0.499 with this block beside the
words (and its own stability rule, step 5a2).

The model is WordLlama's ``l2_supercat_256`` (Lee Miller, PyPI package
``wordllama`` 0.4.0.post1, MIT licence as stated by the package and its
model card): a 32,000-token, 256-dimension codebook trained with a
sentence-embedding loss, starting from the token embeddings of LLaMA 2 70B
and Phi-3 medium. Its files ship inside the wheel; nothing is downloaded.
Only the two files are read here, with ``tokenizers`` and ``safetensors``:
importing the ``wordllama`` package itself would reconfigure the root logger
and its loader looks for the tokenizer in a folder the wheel does not have,
then tries the network.

A comment's vector is the mean of its tokens' vectors, unit length. The
vectors of a corpus share a large common component (every comment has "the",
"is", "we"); :class:`analysis.themes.space.CommentSpace` subtracts the fitted
sample's mean before using them.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

__all__ = ["EMBEDDINGS", "EmbeddingUnavailable", "embed_texts", "embed_words", "embedding_width"]

#: Names accepted by ``ThemeClusterer(embeddings=...)``.
EMBEDDINGS = ("wordllama",)
_PACKAGE = "wordllama"
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_WEIGHT_KEY = "embedding.weight"
#: Texts tokenised at once: bounds the memory of a batch of token ids.
_CHUNK = 4096


class EmbeddingUnavailable(RuntimeError):
    """The embedding model's files are not installed."""


def _package_dir() -> Path:
    # find_spec locates the package without importing it (its __init__ sets
    # up logging for the whole process).
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(
            "the theme clusterer's word embeddings need the package 'wordllama' "
            "(pip install wordllama==0.4.0.post1); pass embeddings=None to use words only"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@functools.lru_cache(maxsize=1)
def _model():
    """Tokenizer and float32 token vectors, read once per process (33 MB)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    root = _package_dir()
    tokenizer_file, weights_file = root.joinpath(*_TOKENIZER), root.joinpath(*_WEIGHTS)
    for path in (tokenizer_file, weights_file):
        if not path.is_file():
            raise EmbeddingUnavailable(
                f"the word embeddings' file {path} is missing from the installed 'wordllama' "
                "package (expected version 0.4.0.post1); reinstall it or pass embeddings=None"
            )
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    vectors = np.ascontiguousarray(load_file(str(weights_file))[_WEIGHT_KEY], dtype=np.float32)
    return tokenizer, vectors


def embedding_width() -> int:
    """Dimensions of the vectors :func:`embed_texts` returns."""
    return _model()[1].shape[1]


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length mean token vector of each text; a zero row for a text with no token.

    Deterministic: a lookup and a mean, no randomness, any thread count.
    """
    tokenizer, vectors = _model()
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        for row, encoding in enumerate(tokenizer.encode_batch(chunk, add_special_tokens=False)):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            ids = ids[(ids >= 0) & (ids < len(vectors))]
            if len(ids):
                out[start + row] = vectors[ids].mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def embed_words(words: list[str]) -> dict[str, np.ndarray]:
    """Unit-length vector of each distinct word (the mean of its tokens), by word.

    For weighting a comment's words one by one (:meth:`analysis.themes.space.
    CommentSpace.rare_word_view`), where :func:`embed_texts` gives only the
    mean of a whole text's tokens.
    """
    distinct = sorted(set(words))
    return dict(zip(distinct, embed_texts(distinct)))
