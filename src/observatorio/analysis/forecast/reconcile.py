"""Coherent forecasts: MinT (shrinkage) reconciliation of a total and its additive children."""

from __future__ import annotations

import numpy as np


def shrunk_covariance(resid: np.ndarray) -> np.ndarray:
    """Schäfer–Strimmer shrinkage of the residual covariance towards its diagonal."""
    t, k = resid.shape
    x = resid - resid.mean(axis=0)
    cov = x.T @ x / max(t - 1, 1)
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    xs = x / sd
    corr = xs.T @ xs / max(t - 1, 1)
    w = xs[:, :, None] * xs[:, None, :]
    var_r = t / max((t - 1) ** 3, 1) * ((w - w.mean(axis=0)) ** 2).sum(axis=0)
    off = ~np.eye(k, dtype=bool)
    denom = float((corr[off] ** 2).sum())
    lam = float(np.clip(var_r[off].sum() / denom, 0.0, 1.0)) if denom > 0 else 1.0
    shrunk = lam * np.eye(k) + (1 - lam) * corr
    np.fill_diagonal(shrunk, 1.0)
    return shrunk * np.outer(sd, sd)


METHODS = ("wls_rel", "wls", "mint_shrink", "bottom_up", "ols")


def mint(
    top: np.ndarray,
    children: np.ndarray,
    resid: np.ndarray | None,
    method: str = "wls",
    rel_scale: np.ndarray | None = None,
) -> np.ndarray:
    """Reconciled children (k x h) so that they add up to the reconciled total exactly.

    ``top`` is (h,), ``children`` (k, h); ``resid`` (t, k + 1) holds aligned one-step
    residuals, total first. ``method``: ``mint_shrink`` (MinT with Schäfer–Strimmer shrinkage),
    ``wls`` (MinT with the diagonal of the residual variances), ``wls_rel`` (variances from
    ``rel_scale``, each series' relative error, times its current level), ``bottom_up`` or ``ols``;
    without residuals the weights are equal (OLS). Negative children
    are set to 0; the total is then the children's sum, so coherence is exact by construction.
    """
    if method not in METHODS:
        raise ValueError(f"reconciliation method {method!r}: use one of {METHODS}")
    k = children.shape[0]
    if method == "bottom_up":
        return np.maximum(children, 0.0)
    s_mat = np.vstack([np.ones((1, k)), np.eye(k)])
    usable = resid is not None and resid.shape[0] >= 12
    if method == "mint_shrink" and usable:
        assert resid is not None
        w = shrunk_covariance(resid)
    elif method == "wls_rel" and rel_scale is not None:
        # Variance of each series today: its relative (log-scale) error times its current level.
        level = np.r_[top[0], children[:, 0]]
        w = np.diag(np.maximum((rel_scale * level) ** 2, 1e-9))
    elif method == "wls" and usable:
        assert resid is not None
        w = np.diag(np.maximum(resid.var(axis=0), 1e-9))
    else:
        w = np.eye(k + 1)
    w = w + np.eye(k + 1) * 1e-9 * max(float(np.trace(w)), 1.0)
    winv = np.linalg.pinv(w)
    p = np.linalg.solve(s_mat.T @ winv @ s_mat, s_mat.T @ winv)
    base = np.vstack([top[None, :], children])
    bottom = p @ base
    return np.maximum(bottom, 0.0)
