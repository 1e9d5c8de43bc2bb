"""Group free-text comments into a handful of named themes.

A leader cannot read 4,000 comments; they can read a handful of themes, each
with its size, a short label and three comments that typify it. This package
does that one job, clustering and describing, as a scikit-learn estimator over
raw texts (:class:`ThemeClusterer`). Scrubbing, sentiment and routing happen
elsewhere (:mod:`analysis.comments` chains them).

The method is three decomposable steps, so that each can be replaced on its
own (a streaming path, say); details and figures on public labelled corpora in
``docs/themes.md`` and ``docs/benchmarks.md``:

* :mod:`~analysis.themes.space` -- vectorise and reduce: sublinear TF-IDF of
  stems with document-frequency limits, plus a workplace concept block
  weighted by how much of the corpus the lexicon covers
  (:mod:`~analysis.themes.lexicon`, data in ``analysis/data/theme_concepts.toml``),
  then LSA with unit-length rows;
* :mod:`~analysis.themes.clustering` -- the number of themes (split-half
  stability, else a handful), spherical k-means, small themes dissolved,
  "Other";
* :mod:`~analysis.themes.labelling` -- c-TF-IDF labels with two-word phrases,
  and representative comments.
"""

from analysis.themes.estimator import NO_CONTENT_LABEL, ThemeClusterer
from analysis.themes.labelling import OTHER_THEME_ID, OTHER_THEME_LABEL, Theme
from analysis.themes.lexicon import WORKPLACE_CONCEPTS
from analysis.themes.lexicon import concept_index as _concept_index
from analysis.themes.lexicon import concepts_key as _concepts_key
from analysis.themes.lexicon import concepts_of as _concepts_of

__all__ = [
    "NO_CONTENT_LABEL",
    "OTHER_THEME_ID",
    "OTHER_THEME_LABEL",
    "WORKPLACE_CONCEPTS",
    "Theme",
    "ThemeClusterer",
]
