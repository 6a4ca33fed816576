"""Reconciliation: children add up to the total exactly, whatever the method."""

from __future__ import annotations

import numpy as np
import pytest

from observatorio.analysis.forecast.reconcile import METHODS, mint, shrunk_covariance


@pytest.mark.parametrize("method", METHODS)
def test_children_add_up_and_stay_non_negative(method: str) -> None:
    rng = np.random.default_rng(0)
    top = np.array([100.0, 110.0, 120.0])
    kids = np.array([[50.0, 52.0, 60.0], [30.0, 35.0, 30.0], [1.0, 0.5, 0.0]])
    resid = rng.normal(0, 1, (60, 4)) * np.array([10, 6, 4, 0.5])
    out = mint(top, kids, resid, method, rel_scale=np.array([0.1, 0.1, 0.2, 0.5]))
    assert out.shape == kids.shape
    assert np.all(out >= 0)
    # the reconciled total is defined as the sum of the reconciled children
    assert np.all(np.isfinite(out.sum(axis=0)))


def test_coherent_input_is_left_alone() -> None:
    kids = np.array([[40.0, 41.0], [60.0, 59.0]])
    top = kids.sum(axis=0)
    resid = np.random.default_rng(1).normal(0, 1, (48, 3))
    np.testing.assert_allclose(mint(top, kids, resid, "mint_shrink"), kids, rtol=1e-9)


def test_shrunk_covariance_is_symmetric_positive_definite() -> None:
    resid = np.random.default_rng(2).normal(0, 1, (30, 5))
    w = shrunk_covariance(resid)
    np.testing.assert_allclose(w, w.T)
    assert np.all(np.linalg.eigvalsh(w) > 0)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="reconciliation method"):
        mint(np.ones(1), np.ones((1, 1)), None, "magic")


# -- MinT against closed forms computed independently of the implementation -------------------
#
# A total with two children: base forecasts (top, a, b) with incoherence d = top - (a + b).
# Reconciliation minimises (ŷ - ỹ)' W⁻¹ (ŷ - ỹ) subject to ỹ_top = ỹ_a + ỹ_b. With diagonal
# W = diag(w_top, w_a, w_b) the Lagrange solution moves every series in proportion to its
# variance: ỹ_top = top - w_top/Σw · d, ỹ_a = a + w_a/Σw · d, ỹ_b = b + w_b/Σw · d. With a
# full W it is the projection ỹ = ŷ - W C'(C W C')⁻¹ C ŷ, C = [1, -1, -1] (Wickramasuriya,
# Athanasopoulos & Hyndman 2019, written in constraint form rather than through S).

TOP = np.array([130.0, 90.0])
KIDS = np.array([[60.0, 50.0], [40.0, 45.0]])  # d = 30 and -5


def _diagonal_closed_form(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = TOP - KIDS.sum(axis=0)
    total = w.sum()
    return TOP - w[0] / total * d, KIDS + (w[1:, None] / total) * d


def test_ols_moves_every_series_by_a_third_of_the_gap() -> None:
    out = mint(TOP, KIDS, None, "ols")
    # d = 30: each child +10, the total -10 → (70, 50) summing to 120; d = -5: ±5/3.
    np.testing.assert_allclose(out[:, 0], [70.0, 50.0])
    np.testing.assert_allclose(out.sum(axis=0), [120.0, 90.0 + 5 / 3])
    np.testing.assert_allclose(out[:, 1], [50.0 - 5 / 3, 45.0 - 5 / 3])


def test_wls_matches_the_diagonal_closed_form() -> None:
    resid = np.random.default_rng(3).normal(0, 1, (48, 3)) * np.array([9.0, 2.0, 4.0])
    expected_top, expected_kids = _diagonal_closed_form(resid.var(axis=0))
    out = mint(TOP, KIDS, resid, "wls")
    np.testing.assert_allclose(out, expected_kids, rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=0), expected_top, rtol=1e-6)


def test_wls_rel_matches_the_diagonal_closed_form() -> None:
    rel = np.array([0.05, 0.2, 0.3])
    level = np.array([TOP[0], KIDS[0, 0], KIDS[1, 0]])
    expected_top, expected_kids = _diagonal_closed_form((rel * level) ** 2)
    out = mint(TOP, KIDS, None, "wls_rel", rel_scale=rel)
    np.testing.assert_allclose(out, expected_kids, rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=0), expected_top, rtol=1e-6)


def test_mint_shrink_matches_the_projection_with_its_covariance() -> None:
    rng = np.random.default_rng(4)
    common = rng.normal(0, 1, (60, 1))
    resid = np.hstack([common * 8 + rng.normal(0, 1, (60, 1)), common * 3 + rng.normal(0, 2, (60, 2))])
    w = shrunk_covariance(resid)
    c = np.array([[1.0, -1.0, -1.0]])
    base = np.vstack([TOP[None, :], KIDS])
    expected = base - w @ c.T @ np.linalg.solve(c @ w @ c.T, c @ base)
    out = mint(TOP, KIDS, resid, "mint_shrink")
    np.testing.assert_allclose(out, expected[1:], rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=0), expected[0], rtol=1e-6)


def test_the_total_moves_towards_the_better_forecast() -> None:
    """A precise total keeps its forecast (top-down-like); a noisy one yields to its children."""
    precise_top = np.array([1e-4, 100.0, 100.0])
    noisy_top = np.array([100.0, 1.0, 1.0])
    kept = mint(TOP, KIDS, None, "wls_rel", rel_scale=precise_top / np.r_[TOP[0], KIDS[:, 0]])
    yielded = mint(TOP, KIDS, None, "wls_rel", rel_scale=noisy_top / np.r_[TOP[0], KIDS[:, 0]])
    np.testing.assert_allclose(kept.sum(axis=0), TOP, rtol=1e-4)
    np.testing.assert_allclose(yielded.sum(axis=0), KIDS.sum(axis=0), rtol=1e-3)
    assert np.all(np.abs(yielded - KIDS) < 0.01)


def test_bottom_up_keeps_the_children() -> None:
    np.testing.assert_allclose(mint(TOP, KIDS, None, "bottom_up"), KIDS)


def test_shrunk_covariance_matches_schafer_strimmer_written_out() -> None:
    """Schäfer & Strimmer (2005), target D: λ = Σ_{i≠j} Var(r_ij) / Σ_{i≠j} r_ij², entry by entry."""
    rng = np.random.default_rng(5)
    common = rng.normal(0, 1, (40, 1))
    resid = np.hstack([common * 5 + rng.normal(0, 1, (40, 1)), common + rng.normal(0, 1, (40, 2))])
    n, k = resid.shape
    sd = resid.std(axis=0, ddof=1)
    z = (resid - resid.mean(axis=0)) / sd
    num = den = 0.0
    r = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            prods = z[:, i] * z[:, j]
            r[i, j] = prods.sum() / (n - 1)
            if i != j:
                num += n / (n - 1) ** 3 * ((prods - prods.mean()) ** 2).sum()
                den += r[i, j] ** 2
    lam = min(max(num / den, 0.0), 1.0)
    assert 0.0 < lam < 0.5  # a strong common factor: little shrinkage
    expected = np.where(np.eye(k, dtype=bool), 1.0, (1 - lam) * r) * np.outer(sd, sd)
    np.testing.assert_allclose(shrunk_covariance(resid), expected, rtol=1e-9)
