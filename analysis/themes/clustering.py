"""Cluster unit vectors into themes: spherical k-means, the number of themes, "Other".

Works on the output of :class:`analysis.themes.space.CommentSpace` and knows
nothing about text. The rules and their measurements are in
``docs/themes.md`` ("Number of themes", "Small themes and Other").
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

__all__ = [
    "CONSENSUS_RUNS",
    "MAJORITY",
    "SMALL_GROUP_FLOOR",
    "SMALL_PULSE",
    "UNANIMOUS",
    "STABLE_ARI",
    "EMBEDDING_STABLE_ARI",
    "RARE_WORDS_STABLE_ARI",
    "OTHER",
    "apply_other",
    "choose_k",
    "consensus_k",
    "distinct_points",
    "prune",
    "spherical_kmeans",
    "stability",
]

#: Id of "Other" in assignments (:data:`analysis.themes.OTHER_THEME_ID`).
OTHER = -2
#: A partition whose split-half agreement (ARI) reaches this is "stable".
STABLE_ARI = 0.85
#: The same in the word embeddings' view, whose smoother geometry makes
#: spurious coarse splits more reproducible (``docs/themes.md``, step 5, a2).
EMBEDDING_STABLE_ARI = 0.9
#: ... and a split stable there must keep this stability when the words most
#: comments use weigh least (:meth:`analysis.themes.space.CommentSpace.
#: rare_word_view`): splits carried by such words (a newsgroup post's reply
#: attribution) fell to 0.48-0.66, topic splits kept 0.81-0.94 (11 of 12;
#: one at 0.66 in one draw, above 0.75 in its fit's own).
RARE_WORDS_STABLE_ARI = 0.75
#: k-means partitions (of random k, on random 80 % subsamples) pooled by
#: :func:`consensus_k` when no partition is stable.
CONSENSUS_RUNS = 100
#: Two comments belong together when, on average, at least this share of the
#: pooled partitions puts them together: the majority vote of Fred & Jain (2005).
MAJORITY = 0.5
#: A consensus group under the minimum theme share still counts when the
#: pooled partitions are near-unanimous about it: its members are on average
#: together in at least this share of them (a small, tight topic), ...
UNANIMOUS = 0.85
#: ... provided it holds at least this fraction of the minimum theme share.
SMALL_GROUP_FLOOR = 0.5
#: Below this many comments, a stable split in two counts too (see :func:`choose_k`).
SMALL_PULSE = 60
#: Pairs of subsamples per candidate k, and the share of the sample in each.
_STABILITY_PAIRS = 4
_STABILITY_FRACTION = 0.8
#: Among stable k, those within this of the most stable count as tied; the
#: smallest of them is taken.
_STABILITY_TIE = 0.03


def spherical_kmeans(Z, k, weights, seed, n_init):
    """k-means on unit vectors with unit-length centres (cosine k-means).

    Returns labels and the unit centres. With rows of unit length, the
    Euclidean k-means objective is 2 - 2 cos, so scikit-learn's Lloyd steps
    find cosine clusters; only the centres need renormalising.
    """
    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(Z, sample_weight=weights)
    return model.labels_, normalize(model.cluster_centers_).astype(np.float32)


def distinct_points(Z) -> int:
    """Number of distinct vectors: k-means cannot find more clusters than that."""
    return len(np.unique(np.round(Z, 5), axis=0)) if len(Z) else 0


def stability(Z, weights, k, rng, n_init=2) -> float:
    """Mean agreement (ARI) of k-means fitted on two random 80 % subsamples.

    Each pair of fits labels the whole sample by nearest centre and the two
    labellings are compared with the adjusted Rand index, which is 0 for
    agreement by chance whatever k is (Ben-Hur, Elisseeff & Guyon 2002, "A
    stability based method for discovering structure in clustered data";
    Lange, Roth, Braun & Buhmann 2004, "Stability-based validation of
    clustering solutions").
    """
    n = len(Z)
    size = max(k + 1, int(round(_STABILITY_FRACTION * n)))
    scores = []
    for _ in range(_STABILITY_PAIRS):
        labels = []
        for _side in range(2):
            rows = np.sort(rng.choice(n, size=size, replace=False))
            if distinct_points(Z[rows]) < k:
                return 0.0
            _, centres = spherical_kmeans(Z[rows], k, weights[rows], rng.randint(2**31 - 1), n_init)
            labels.append(np.argmax(Z @ centres.T, axis=1))
        scores.append(adjusted_rand_score(labels[0], labels[1]))
    return float(np.mean(scores))


def consensus_k(Z, weights, k_max, rng, min_share, runs=CONSENSUS_RUNS, views=None):
    """Number of groups that most of many k-means partitions, at every scale, keep together.

    Evidence accumulation (Fred & Jain 2005, "Combining multiple clusterings
    using evidence accumulation", IEEE TPAMI 27(6)): ``runs`` k-means
    partitions, each fitted on a random 80 % subsample, label every row by
    nearest centre; the co-association of two rows is the share of
    partitions that put them together. Average-linkage clustering of
    1 - co-association is cut at :data:`MAJORITY` (Fred & Jain's majority
    vote: groups whose members are, on average, together in most
    partitions), and the groups holding at least ``min_share`` of the weight
    are counted, and so are smaller groups, down to
    :data:`SMALL_GROUP_FLOOR` of ``min_share``, whose members are on average
    together in at least :data:`UNANIMOUS` of the partitions: a small topic
    that nearly every partition isolates (newswire on gold or coffee, 3-4 %
    of the texts, cohesion 0.85-0.91) is a theme; the fuzzy fragments that
    short texts also form (cohesion 0.58-0.80) are not.

    The k of each partition is drawn log-uniformly from ``2 .. k_max`` (as
    many partitions between 2 and 4 clusters as between 5 and 10): no scale
    is preferred, so a real group, kept whole by the coarser partitions and
    cut differently by each finer one, stays together in the majority
    whether it is one of 3 or one of 12. With k drawn uniformly, most
    partitions are finer than 3 groups and the vote cut three clear groups
    into six.

    ``views`` (default ``[Z]``): the partitions take turns over these
    matrices, rows aligned with ``Z`` - the words' view (LSA) and the word
    embeddings' view of the same comments. k-means cuts a short-text topic
    into different fragments in each view (word-specific ones in LSA,
    looser semantic ones in the embedding), while a real topic is kept
    together in both, so pooling the views keeps together what either view
    alone splits (``docs/themes.md``, "Sixth pass").

    Returns the number of such groups (0 if none is that large), their
    unit-length weighted means, shape (count, dim), and the smallest share
    a theme may then hold (``min_share``, or the floor if a small unanimous
    group was counted): the consensus partition
    is more faithful than one k-means fit with that k (on short newsgroup
    posts in 3 and 4 groups, ARI 0.22 and 0.49 from these centres against
    0.15 and 0.39 from k-means with the same k), so the themes start from it.
    """
    n = len(Z)
    views = [Z] if views is None else views
    size = max(k_max + 1, int(round(_STABILITY_FRACTION * n)))
    together = np.zeros((n, n), dtype=np.float32)
    with threadpool_limits(limits=1):  # as in choose_k
        for run in range(runs):
            V = views[run % len(views)]
            k = min(k_max, int(np.exp(rng.uniform(np.log(2), np.log(k_max + 1)))))
            rows = np.sort(rng.choice(n, size=size, replace=False))
            if distinct_points(V[rows]) < k:
                k = 2
            _, centres = spherical_kmeans(V[rows], k, weights[rows], rng.randint(2**31 - 1), 1)
            onehot = np.eye(k, dtype=np.float32)[np.argmax(V @ centres.T, axis=1)]
            together += onehot @ onehot.T
    distance = 1.0 - together / runs
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0.0, 1.0), checks=False), "average")
    groups = fcluster(tree, MAJORITY, criterion="distance")
    mass = np.bincount(groups, weights=weights) / weights.sum()
    floor = SMALL_GROUP_FLOOR * min_share
    big = [g for g in range(len(mass)) if mass[g] >= min_share]
    for g in np.flatnonzero((mass >= floor) & (mass < min_share)):
        members = np.flatnonzero(groups == g)
        if together[np.ix_(members, members)].mean() >= UNANIMOUS * runs:
            big.append(g)
    small = len(big) > int((mass >= min_share).sum())
    big = np.array(sorted(big), dtype=np.int64)
    centres = np.zeros((len(big), Z.shape[1]), dtype=np.float32)
    for row, g in enumerate(big):
        members = groups == g
        centre = (Z[members] * weights[members, None]).sum(axis=0)
        centres[row] = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return len(big), centres, (floor if small else min_share)


def choose_k(Z, weights, k_max, rng, n_content=None, min_share=0.05, word_width=None,
             rare_view=None):
    """Number of themes: the most stable k >= 3 if one is stable, else the consensus count.

    Returns ``(k, scores, criterion, centres, share)`` with the stability of
    every candidate k in ``2 .. k_max`` (in the words' view), which rule
    decided ("stability", "embedding stability" or "consensus"), for
    "consensus" when the count is kept as it is, the centres of the
    consensus groups (else None: fit k-means with k), and the
    smallest share a theme may hold (``min_share``, lower when the consensus
    counted a small unanimous group, :func:`consensus_k`). k = 2 is measured but never chosen by stability: the
    first split of a corpus is stable on nearly every corpus (0.88-0.99 on
    short newsgroup and newswire texts with 8-10 topics), so it says nothing
    about the number of topics; in a pulse of fewer than :data:`SMALL_PULSE`
    comments (``n_content``) it is the structure there is, and counts like any
    other k. Among k >= 3 whose stability reaches :data:`STABLE_ARI`, the
    smallest within :data:`_STABILITY_TIE` of the best is taken. When none
    does (short texts: their k-means partitions are never reproduced that
    well, ``docs/themes.md``), the number of groups of at least
    ``min_share`` that most of many k-means partitions of every scale keep
    together
    (:func:`consensus_k`), at least 3 (2 in a small pulse) and at most
    ``k_max``: never one theme for a pulse that can hold two.

    ``word_width``: when ``Z`` joins the words' LSA vectors (its first
    ``word_width`` columns) and word embeddings (the rest,
    :class:`analysis.themes.space.CommentSpace`), stability is measured on the
    words' view first (on the joined vectors coarse splits of many topics
    looked stable: 3 themes for 15 newsgroups); if none is stable there, on
    the embedding's view, where a k must reach the higher
    :data:`EMBEDDING_STABLE_ARI` ("embedding stability": three short-text
    topics that share no words are stable there at 0.90-0.96, spurious
    coarse splits of many topics at 0.81-0.87), and, given ``rare_view``
    (a function returning the same rows' embedding with common words
    weighing least, called only then), stay at least
    :data:`RARE_WORDS_STABLE_ARI` there; else the consensus pools
    partitions of both views (:func:`consensus_k`).
    """
    # Single-threaded, as in ThemeClusterer.fit: OpenMP spin-waiting made
    # these small k-means fits up to 40 times slower on a busy machine.
    with threadpool_limits(limits=1):
        return _choose_k(Z, weights, k_max, rng, n_content, min_share, word_width, rare_view)


def _views(Z, word_width):
    """The words' view and the embedding's view of joined vectors, each unit length."""
    if word_width is None or word_width >= Z.shape[1]:
        return [Z]
    return [normalize(Z[:, :word_width]), normalize(Z[:, word_width:])]


def _most_stable(scores, smallest, threshold):
    """The smallest k >= ``smallest`` within the tie of the most stable one reaching ``threshold``."""
    stable = {k: s for k, s in scores.items() if k >= smallest and s >= threshold}
    if not stable:
        return None
    best = max(stable.values())
    return min(k for k, s in stable.items() if s >= best - _STABILITY_TIE)


def _choose_k(Z, weights, k_max, rng, n_content, min_share, word_width, rare_view=None):
    views = _views(Z, word_width)
    scores = {k: stability(views[0], weights, k, rng) for k in range(2, k_max + 1)}
    smallest = 2 if n_content is not None and n_content < SMALL_PULSE else 3
    k = _most_stable(scores, smallest, STABLE_ARI)
    if k is not None:
        return k, scores, "stability", None, min_share
    if len(views) > 1:
        embedded = {k: stability(views[1], weights, k, rng) for k in range(2, k_max + 1)}
        k = _most_stable(embedded, smallest, EMBEDDING_STABLE_ARI)
        if k is not None and (rare_view is None
                              or stability(rare_view(), weights, k, rng) >= RARE_WORDS_STABLE_ARI):
            return k, scores, "embedding stability", None, min_share
    voted, centres, share = consensus_k(Z, weights, k_max, rng, min_share, views=views)
    k = max(min(voted, k_max), min(smallest, k_max))
    if k != voted:
        return k, scores, "consensus", None, min_share
    return k, scores, "consensus", centres, share


def _means(Z, w, assign, C):
    """Unit-length weighted mean of each cluster's members (old centre if empty)."""
    out = C.copy()
    for c in range(len(C)):
        members = assign == c
        if members.any():
            centre = (Z[members] * w[members, None]).sum(axis=0)
            norm = np.linalg.norm(centre)
            if norm > 0:
                out[c] = centre / norm
    return out


def prune(Z, w, centers, min_share, merge_similarity=1.0):
    """Dissolve clusters under ``min_share`` of the comments; lump near-identical centres.

    As in ISODATA (Ball & Hall 1965), the smallest cluster under the minimum
    is dissolved (its members go to the nearest remaining centre) and the
    centres are recomputed, until none is under it; then two centres whose
    cosine is at least ``merge_similarity`` are lumped, closest pair first
    (off at the default 1.0: lumping at cosine 0.4 merged every topic into
    one on real corpora whose topics share vocabulary). A few Lloyd steps
    end it.

    Returns
    -------
    kept : ndarray of bool, shape (k,)
        False for original clusters that were dissolved (not merged).
    centers : ndarray
        The remaining centres, unit length.
    """
    live = np.flatnonzero(np.abs(Z).sum(axis=1) > 0)
    Z, w = Z[live], w[live]
    total = w.sum()
    owner = np.arange(len(centers))
    C = np.asarray(centers, dtype=np.float64)
    while len(C) > 1:
        assign = np.argmax(Z @ C.T, axis=1)
        sizes = np.bincount(assign, weights=w, minlength=len(C))
        C = _means(Z, w, assign, C)
        smallest = int(np.argmin(sizes))
        if sizes[smallest] < min_share * total:
            owner = np.where(owner == smallest, -1, owner - (owner > smallest))
            C = np.delete(C, smallest, axis=0)
            continue
        S = C @ C.T
        np.fill_diagonal(S, -np.inf)
        i, j = np.unravel_index(int(np.argmax(S)), S.shape)
        if S[i, j] < merge_similarity:
            break
        i, j = min(i, j), max(i, j)
        assign = np.where(assign == j, i, assign)
        assign = assign - (assign > j)
        owner = np.where(owner == j, i, owner)
        owner = np.where(owner > j, owner - 1, owner)
        C = _means(Z, w, assign, np.delete(C, j, axis=0))
    for _ in range(10):
        assign = np.argmax(Z @ C.T, axis=1)
        new = _means(Z, w, assign, C)
        if np.allclose(new, C, atol=1e-7):
            break
        C = new
    return owner >= 0, C.astype(np.float32)


def apply_other(sims, counts, n_content, k, min_size, orphans, max_other_share):
    """Assign each distinct comment to a theme or to "Other".

    Candidates for "Other" are comments whose own cluster was dissolved
    as too small (``orphans``), members of themes still smaller than
    ``min_size``, and comments sharing no vocabulary with the fitted space
    (zero vector). The least typical candidates (lowest cosine to the
    nearest theme) go to "Other" until it would exceed ``max_other_share``
    of the comments with content; remaining members of tiny themes join
    their nearest surviving theme. Moving one-offs to "Other" can leave a
    theme below the minimum in turn; then it is dropped as well and the
    assignment redone.
    """
    first = np.argmax(sims, axis=1)
    if k <= 1:
        return first
    best_sim = sims[np.arange(len(first)), first]
    cap = np.floor(max_other_share * n_content)
    dropped = np.zeros(k, dtype=bool)
    assign = first
    for _ in range(k):
        assign = first.copy()
        sizes = np.bincount(assign, weights=counts, minlength=k)
        tiny = dropped | (sizes < min_size)
        if tiny.all():
            tiny = dropped.copy() if not dropped.all() else np.zeros(k, dtype=bool)
        candidates = np.flatnonzero(tiny[assign] | orphans | (best_sim <= 1e-6))
        if len(candidates) == 0:
            return assign
        order = candidates[np.lexsort((candidates, best_sim[candidates]))]
        to_other = order[np.cumsum(counts[order]) <= cap]
        leftover = np.setdiff1d(candidates, to_other)
        leftover = leftover[tiny[assign[leftover]]]
        if len(leftover):
            masked = sims[leftover].copy()
            masked[:, tiny] = -np.inf
            assign[leftover] = np.argmax(masked, axis=1)
        assign[to_other] = OTHER
        kept = assign >= 0
        sizes = np.bincount(assign[kept], weights=counts[kept], minlength=k)
        shrunk = (sizes > 0) & (sizes < min_size) & ~tiny
        if not shrunk.any() or (tiny | shrunk).all():
            return assign
        dropped = tiny | shrunk
    return assign
