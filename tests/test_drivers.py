"""Key drivers (Johnson's relative weights) against references.

- Orthogonal predictors: each weight is the squared correlation with the
  outcome (Johnson 2000, the case the method reduces to).
- An independent implementation of Johnson's original derivation through the
  singular value decomposition of the data matrix (rather than the
  eigen-decomposition of the correlation matrix used by the module).
- A published example: the vignette of the R package ``rwa`` (Martin Chan,
  https://github.com/martinctc/rwa, "Introduction to Relative Weights
  Analysis"), mtcars, mpg ~ cyl + disp + hp + gear: raw weights hp
  0.2321744, cyl 0.2284797, disp 0.2221469, gear 0.0963886; R² 0.7791896.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from analysis.drivers import key_drivers, likert_predictors, relative_weights

# mtcars (R datasets; Henderson & Velleman 1981), the columns used by the example.
MTCARS = """mpg,cyl,disp,hp,gear
21,6,160,110,4
21,6,160,110,4
22.8,4,108,93,4
21.4,6,258,110,3
18.7,8,360,175,3
18.1,6,225,105,3
14.3,8,360,245,3
24.4,4,146.7,62,4
22.8,4,140.8,95,4
19.2,6,167.6,123,4
17.8,6,167.6,123,4
16.4,8,275.8,180,3
17.3,8,275.8,180,3
15.2,8,275.8,180,3
10.4,8,472,205,3
10.4,8,460,215,3
14.7,8,440,230,3
32.4,4,78.7,66,4
30.4,4,75.7,52,4
33.9,4,71.1,65,4
21.5,4,120.1,97,3
15.5,8,318,150,3
15.2,8,304,150,3
13.3,8,350,245,3
19.2,8,400,175,3
27.3,4,79,66,4
26,4,120.3,91,5
30.4,4,95.1,113,5
15.8,8,351,264,5
19.7,6,145,175,5
15,8,301,335,5
21.4,4,121,109,4
"""


def r_squared_ols(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))


def johnson_by_svd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) as published: X = P Δ Qᵀ, Z = P Qᵀ the orthonormal
    matrix closest to X, Λ* = Zᵀ X (the regression of X on Z), β = Zᵀ y;
    ε_j = Σ_k λ*_jk² β_k² (everything standardised to unit length)."""
    xs = (x - x.mean(0)) / (x.std(0) * np.sqrt(len(x)))
    ys = (y - y.mean()) / (y.std() * np.sqrt(len(y)))
    p_, _, qt = np.linalg.svd(xs, full_matrices=False)
    z = p_ @ qt
    lam = z.T @ xs
    beta = z.T @ ys
    return (lam.T**2) @ (beta**2)


def correlated_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = np.column_stack([common + rng.normal(size=n) * s for s in (0.5, 1.0, 2.0)] + [rng.normal(size=n)])
    y = x @ np.array([0.6, 0.3, 0.0, 0.4]) + rng.normal(size=n)
    return pd.DataFrame(x, columns=["a", "b", "c", "d"]), pd.Series(y, name="y")


def test_orthogonal_predictors_get_their_squared_correlations():
    # Columns of a 2-level full factorial are exactly uncorrelated.
    grid = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)] * 5, float)
    rng = np.random.default_rng(4)
    y = grid @ np.array([1.0, 0.5, 0.2]) + rng.normal(scale=0.7, size=len(grid))
    raw, r2, beta = relative_weights(grid, y)
    r = np.array([np.corrcoef(grid[:, j], y)[0, 1] for j in range(3)])
    np.testing.assert_allclose(raw, r**2, atol=1e-12)
    np.testing.assert_allclose(beta, r, atol=1e-12)
    assert r2 == pytest.approx(r_squared_ols(grid, y), abs=1e-12)


def test_weights_sum_to_r_squared_with_correlated_predictors():
    x, y = correlated_data()
    raw, r2, beta = relative_weights(x.to_numpy(), y.to_numpy())
    assert raw.sum() == pytest.approx(r2, abs=1e-12)
    assert r2 == pytest.approx(r_squared_ols(x.to_numpy(), y.to_numpy()), abs=1e-12)
    assert (raw >= 0).all()


def test_matches_johnsons_svd_derivation():
    x, y = correlated_data(seed=5)
    raw, *_ = relative_weights(x.to_numpy(), y.to_numpy())
    np.testing.assert_allclose(raw, johnson_by_svd(x.to_numpy(), y.to_numpy()), atol=1e-12)


def test_published_mtcars_example():
    cars = pd.read_csv(io.StringIO(MTCARS))
    out = key_drivers(
        cars[["cyl", "disp", "hp", "gear"]], cars.mpg, n_boot=0, min_rows_per_predictor=8
    )
    assert out.item.tolist() == ["hp", "cyl", "disp", "gear"]
    np.testing.assert_allclose(
        out.weight, [0.2321744, 0.2284797, 0.2221469, 0.0963886], atol=5e-8
    )
    assert out.attrs["r_squared"] == pytest.approx(0.7791896, abs=5e-8)
    np.testing.assert_allclose(
        out.share * 100, [29.79691, 29.32274, 28.50999, 12.37037], atol=5e-5
    )
    assert out.attrs["n"] == 32


def test_key_drivers_table_and_bootstrap():
    x, y = correlated_data()
    out = key_drivers(x, y, n_boot=200, random_state=1)
    assert list(out.columns) == ["item", "weight", "ci_low", "ci_high", "share", "beta"]
    assert out.weight.is_monotonic_decreasing
    assert out.share.sum() == pytest.approx(1.0)
    assert ((out.ci_low <= out.weight) & (out.weight <= out.ci_high)).all()
    assert out.item[0] == "a"
    # c carries no weight of its own in the model, d is independent: d's beta
    # is clearly positive, and the same seed gives the same intervals.
    again = key_drivers(x, y, n_boot=200, random_state=1)
    pd.testing.assert_frame_equal(out, again)
    other = key_drivers(x, y, n_boot=200, random_state=2)
    assert not np.allclose(other.ci_low, out.ci_low)


def test_listwise_deletion_and_alignment():
    x, y = correlated_data()
    x.index = y.index = [f"r{i}" for i in range(len(y))]
    x.loc["r0", "a"] = np.nan
    y.loc["r1"] = np.nan
    shuffled = y.sample(frac=1, random_state=0)
    out = key_drivers(x, shuffled, n_boot=0)
    assert out.attrs["n"] == len(y) - 2
    reference = key_drivers(x.drop(["r0", "r1"]), y.drop(["r0", "r1"]), n_boot=0)
    pd.testing.assert_frame_equal(out, reference)


def test_no_interval_without_bootstrap():
    x, y = correlated_data()
    out = key_drivers(x, y, n_boot=0)
    assert out.ci_low.isna().all() and out.ci_high.isna().all()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda x, y: (x.assign(y=y), y), "also among the predictors"),
        (lambda x, y: (x.iloc[:30], y.iloc[:30]), "at least 40"),
        (lambda x, y: (x.assign(a=3.0), y), "no variation in a"),
        (lambda x, y: (x.assign(c=x.a + x.b), y), "perfectly collinear"),
        (lambda x, y: (x.assign(b="x"), y), "'b' holds"),
        (lambda x, y: (x, y * 0), "no variation in outcome"),
    ],
)
def test_clear_errors(change, message):
    x, y = correlated_data()
    bad_x, bad_y = change(x, y)
    with pytest.raises(ValueError, match=message):
        key_drivers(bad_x, bad_y, n_boot=0)


def test_outcome_built_from_predictors_is_refused():
    x, y = correlated_data()
    with pytest.raises(ValueError, match="built from a, b"):
        key_drivers(x, y.rename("knowledge"), built_from=["b", "a", "k_goals"], n_boot=0)


def test_likert_predictors_flip_reverse_keyed_items(instrument):
    ids = [i.id for i in instrument.likert_items()]
    table = pd.DataFrame({i: [1.0, 2.0, np.nan] for i in ids}, index=["a", "b", "c"])
    table["enps"] = [3.0, 9.0, 5.0]
    out = likert_predictors(table, instrument)
    assert list(out.columns) == ids
    assert out.loc["a", "st_understand"] == 1 and out.loc["a", "st_priorities_shift"] == 5
    assert np.isnan(out.loc["c", "lc_overload"])
    with pytest.raises(ValueError, match="no column for Likert item 'st_understand'"):
        likert_predictors(table.drop(columns="st_understand"), instrument)
