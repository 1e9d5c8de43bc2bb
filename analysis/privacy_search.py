"""The searches behind :func:`analysis.privacy.protect`'s rules 2 and 3.

Rule 2 asks whether some family of pairwise disjoint visible groups inside a
visible parent leaves out between 1 and k-1 of its members: an exact-cover
question, answered by a depth-first search over atoms (sets of respondents
with the same memberships) and, past a step budget, by an integer program
(``scipy.optimize.milp``). Rule 3 asks whether a small hidden group or atom
is a linear combination of the visible groups' counts (least squares).

Each function returns what to hide - ``(group, parent, kind)`` - or None; the
policy, the reasons and the fixed point stay in ``analysis.privacy``.
"""

from __future__ import annotations

import numpy as np

#: Steps of the quick depth-first search for a disjoint family that leaves a
#: small remainder; past it (crossing breakdowns), an exact integer program
#: answers instead.
_SEARCH_BUDGET = 5_000
#: Seconds the integer program may take; if it cannot answer, the rule errs
#: on the side of hiding.
_MILP_SECONDS = 20.0


def unique_rows(matrix, *, return_index=False, return_inverse=False, return_counts=False):
    """``np.unique(matrix, axis=0, ...)`` for a boolean matrix: same rows, same
    order, same extras, but fast on the 100,000-respondent masks of a large pulse.

    Why: ``np.unique`` with ``axis`` sorts the rows as opaque byte strings, one
    byte per bool; on masks of 100,000 respondents it was most of a leader
    report's build (30 s of 84 at 100,000 responses, ``docs/benchmarks.md``,
    "Analysis at scale"). Packing each row's bits (most significant first)
    keeps the lexicographic order of the rows, and rows of up to 64 bits are
    then sorted as plain integers. The order matters: the rules visit groups
    in it to break ties, so the decisions stay exactly those of ``np.unique``.
    Anything but a 2-D boolean matrix goes to ``np.unique`` as it is.

    Examples
    --------
    >>> m = np.array([[True, False], [False, True], [True, False]])
    >>> rows, counts = unique_rows(m, return_counts=True)
    >>> rows.tolist(), counts.tolist()
    ([[False, True], [True, False]], [1, 2])
    """
    m = np.asarray(matrix)
    flags = {"return_index": True, "return_inverse": return_inverse, "return_counts": return_counts}
    if m.dtype != bool or m.ndim != 2 or 0 in m.shape:
        out = np.unique(m, axis=0, **flags)
    else:
        packed = np.packbits(m, axis=1)
        if packed.shape[1] <= 8:
            keys = np.zeros(len(m), dtype=np.uint64)
            for column in packed.T:
                keys = (keys << np.uint64(8)) | column.astype(np.uint64)
        else:
            keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        out = list(np.unique(keys, **flags))
        out[0] = m[out[1]]
    out = list(out)
    if not return_index:
        del out[1]
    if return_inverse:
        position = 1 + return_index
        out[position] = np.asarray(out[position]).reshape(-1)
    return out[0] if len(out) == 1 else tuple(out)


def _order(class_n: np.ndarray, candidates) -> list[int]:
    """Smallest first; ties broken by the order the caller gave the groups."""
    return sorted(candidates, key=lambda c: (class_n[c], c))


def _family_leak(p, classes, class_n, visible, k, contained, atom_sig, atom_count):
    """Rule 2 for one visible parent: find a disjoint family of visible
    groups inside it that leaves out between 1 and k-1 respondents, and
    return ``(group to hide, parent, kind)``; None when there is none."""
    vis = np.flatnonzero(visible)
    inside = contained[vis, p] & (class_n[vis] < class_n[p])
    subs = sorted(vis[inside], key=lambda c: (-class_n[c], c))
    if not subs:
        return None
    in_parent = atom_sig[:, p]
    found = _disjoint_gap(atom_sig[in_parent][:, subs], atom_count[in_parent], k)
    if found is None:
        return None
    if found == "unknown":
        return _order(class_n, subs)[0], p, "complement"
    family = [subs[i] for i in found]
    target = _order(class_n, family)[0]
    if len(family) > 1:
        return target, p, "complement"
    # One group subtracted from its parent: if what is left is (part of) a
    # hidden sibling, it is that sibling's complement being protected.
    covered = classes[family[0]]
    for c in np.flatnonzero(~visible & (class_n > 0) & contained[:, p]):
        if not (classes[c] & covered).any():
            return target, p, "complement"
    return target, p, "difference"


def _disjoint_gap(membership: np.ndarray, counts: np.ndarray, k: int):
    """Search for pairwise disjoint subgroups leaving 1..k-1 members of the
    parent uncovered.

    Returns the indices of such a family, None when there is none, or
    ``"unknown"`` when not even the integer program could tell. Works on atoms (sets of members
    with the same memberships) as bits of Python integers, depth first,
    remembering states (what is decided, how many are left out) that failed.
    """
    space = _GapSpace(membership, counts, k)
    if space.forced_size >= k or space.forced == space.full:
        return None
    return _depth_first(space)


class _GapSpace:
    """The search space of :func:`_disjoint_gap`.

    ``membership`` holds the parent's atoms (rows, with ``counts`` people
    each) by its visible subgroups (columns); atoms no subgroup tells apart
    are merged. A state is ``(decided, u)``: the atoms already covered or left
    out (bits) and how many people are left out.
    """

    def __init__(self, membership: np.ndarray, counts: np.ndarray, k: int):
        signatures, atom_of = unique_rows(membership, return_inverse=True)
        self.k = k
        self.signatures = signatures
        self.atom_size = np.bincount(np.asarray(atom_of).reshape(-1), weights=counts).astype(int)
        n_atoms = len(self.atom_size)
        self.sub_bits = []
        for row in signatures.T:  # one row per sub: which atoms it contains
            bits = 0
            for a in np.flatnonzero(row):
                bits |= 1 << int(a)
            self.sub_bits.append(bits)
        self.full = (1 << n_atoms) - 1
        # Atoms in no visible subgroup are always left out.
        self.forced = 0
        self.forced_size = 0
        for a in range(n_atoms):
            if not signatures[a].any():
                self.forced |= 1 << a
                self.forced_size += int(self.atom_size[a])
        # Already largest first, as the subgroups are.
        self.subs_of_atom = [list(np.flatnonzero(signatures[a])) for a in range(n_atoms)]

    def options(self, decided: int, u: int):
        """What can settle the lowest undecided atom: a subgroup holding it
        that overlaps nothing decided, or leaving it out while fewer than k
        people are."""
        rest = self.full & ~decided
        a = (rest & -rest).bit_length() - 1
        choices = [int(s) for s in self.subs_of_atom[a] if not self.sub_bits[s] & decided]
        if u + self.atom_size[a] <= self.k - 1:
            choices.append(-1 - a)
        return iter(choices)

    def step(self, decided: int, u: int, choice: int) -> tuple[int, int]:
        """The state after ``choice`` (a subgroup index, or ``-1 - atom`` to leave an atom out)."""
        if choice >= 0:
            return decided | self.sub_bits[choice], u
        a = -1 - choice
        return decided | (1 << a), u + int(self.atom_size[a])


def _depth_first(space: _GapSpace):
    """The search itself; past ``_SEARCH_BUDGET`` steps the integer program answers."""
    decided, u = space.forced, space.forced_size
    failed: set[tuple[int, int]] = set()
    path: list[tuple[int, int, object, int]] = []
    it = space.options(decided, u)
    steps = 0
    while True:
        choice = next(it, None)
        if choice is None:
            failed.add((decided, u))
            if not path:
                return None
            decided, u, it, _ = path.pop()
            continue
        steps += 1
        if steps > _SEARCH_BUDGET:
            return _milp_gap(space.signatures, space.atom_size, space.forced_size, space.k)
        new_decided, new_u = space.step(decided, u, choice)
        if new_decided == space.full:
            if new_u >= 1:
                path.append((decided, u, it, choice))
                return [c for *_, c in path if c >= 0]
            continue
        if (new_decided, new_u) in failed:
            continue
        path.append((decided, u, it, choice))
        decided, u = new_decided, new_u
        it = space.options(decided, u)


def _milp_gap(signatures: np.ndarray, atom_size: np.ndarray, forced_size: int, k: int):
    """The disjoint-family search as an integer program (exact cover with a
    small remainder): choose groups y and left-out atoms w so that every atom
    is covered once or left out, at least one person is left out, and as
    few as possible. A leak if the fewest is below k."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    covered = signatures.any(axis=1)
    membership = signatures[covered].astype(float)  # atoms x subs
    sizes = atom_size[covered].astype(float)
    n_atoms, n_subs = membership.shape
    cost = np.concatenate([np.zeros(n_subs), sizes])
    exact = LinearConstraint(np.hstack([membership, np.eye(n_atoms)]), 1, 1)
    rows = [exact]
    if forced_size == 0:
        rows.append(LinearConstraint(np.concatenate([np.zeros(n_subs), sizes])[None, :], 1, np.inf))
    result = milp(
        cost,
        integrality=np.ones(n_subs + n_atoms),
        bounds=Bounds(0, 1),
        constraints=rows,
        options={"time_limit": _MILP_SECONDS},
    )
    if result.status == 2:  # infeasible: every way to tile the parent is exact
        return None
    if result.status != 0 or result.x is None:
        return "unknown"
    if forced_size + result.fun > k - 1 + 1e-6:
        return None
    return [int(i) for i in np.flatnonzero(result.x[:n_subs] > 0.5)]


def _in_span(rows: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Which columns of ``targets`` are linear combinations of ``rows``?

    Least squares by QR with column pivoting (LAPACK gelsy): robust on the
    rank-deficient 0/1 matrices groups make, where an SVD may not converge.
    """
    from scipy.linalg import lstsq

    if rows.shape[0] == 0:
        return np.zeros(targets.shape[1], dtype=bool)
    coef, *_ = lstsq(rows.T, targets, lapack_driver="gelsy")
    residual = np.linalg.norm(targets - rows.T @ coef, axis=0)
    return residual < 1e-7 * np.maximum(1.0, np.linalg.norm(targets, axis=0))


def _crossing(overlap: np.ndarray, members: np.ndarray) -> bool:
    """Do any two of these groups overlap without one containing the other?"""
    overlap = overlap[np.ix_(members, members)]
    size = np.diag(overlap)
    smaller = np.minimum(size[:, None], size[None, :])
    return bool(((overlap > 0) & (overlap < smaller)).any())


def _combination_rule(classes, class_n, visible, k, overlap):
    """Rule 3: no small hidden group and no small atom is a linear
    combination of visible groups; return what to hide if one is.

    When no two visible groups cross (every pair nested or disjoint), the
    sets their counts can reveal are unions of "a group minus its visible
    subgroups", which rule 2 already keeps empty or at least k: the linear
    algebra is skipped.
    """
    vis = np.flatnonzero(visible)
    if vis.size < 2 or not _crossing(overlap, vis):
        return None
    present = np.flatnonzero(class_n > 0)
    # Atoms over all non-empty groups: every group is a union of atoms, so
    # linear algebra on atom indicators is exact and much smaller than on people.
    signatures, atom_size = unique_rows(classes[present].T, return_counts=True)
    in_some = signatures.any(axis=1)
    signatures, atom_size = signatures[in_some].astype(float), atom_size[in_some]
    column = {c: i for i, c in enumerate(present)}
    V = signatures[:, [column[c] for c in vis]].T  # visible groups x atoms

    targets = [signatures[:, column[c]] for c in present if not visible[c] and class_n[c] < k]
    for a in np.flatnonzero(atom_size < k):
        unit = np.zeros(len(atom_size))
        unit[a] = 1.0
        targets.append(unit)
    if not targets:
        return None
    T = np.column_stack(targets)
    leaking = np.flatnonzero(_in_span(V, T))
    if leaking.size == 0:
        return None
    target = T[:, leaking[:1]]
    from scipy.linalg import lstsq

    coef, *_ = lstsq(V.T, target, lapack_driver="gelsy")
    needed = _order(class_n, [vis[i] for i in np.flatnonzero(np.abs(coef[:, 0]) > 1e-9)])
    for candidate in needed[:20]:
        keep = vis != candidate
        if not _in_span(V[keep], target)[0]:
            return candidate, None, "combination"
    return needed[0], None, "combination"
