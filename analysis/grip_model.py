"""Poisson regression with absorbed fixed effects and small-sample cluster-robust intervals.

Why this module exists: the Grip effect is a rate ratio from daily counts, and real programmes
change hotspots between periods, favour some days of the week and plan patrols by the week. The
honest model has a baseline per hotspot, calendar effects (day of week, calendar week) and standard
errors clustered by hotspot with a correction for few clusters (about 20). statsmodels fits the same
model with dummy variables, but at ~0.3 s a fit it cannot refit the whole effect table (about 40
fits over 100 hotspots x 3 years) at load time, so the two fits here exploit the structure:

- ``fit_pooled``: one coefficient vector shared by every hotspot. The hotspot baselines are
  concentrated out in closed form (each hotspot's fitted total equals its observed total), the
  calendar dummies stay in the Newton step as a small dense block (6 + weeks columns), built with
  ``np.bincount`` rather than a dense design matrix.
- ``fit_by_block``: a coefficient vector per block (per hotspot) with day-of-week strata nested in
  the block, all blocks solved at once with batched 2x2 Newton steps.

Both agree with statsmodels' GLM with dummies to 1e-6 (tests/unit/test_grip_estimator.py).

Intervals: cluster-robust sandwich, each cluster's score scaled by 1/sqrt(1 - h_g) (the CR2 /
Bell-McCaffrey bias correction for the coefficient of interest, h_g being the cluster's share of the
coefficient's information) and t critical values with Satterthwaite degrees of freedom (at most
G - 1). The coverage study (bench/grip_coverage.py, table in bench/results/) shows 93-97% coverage
of 95% intervals in every simulated design, where the old intervals covered 0-23% when patrols
favour some days or deterrence carries into the next day.

What this module must not do: read files or the database, or know what a hotspot is called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_ITER = 60
TOL = 1e-10


@dataclass(frozen=True)
class Coef:
    """One coefficient on the log scale with its interval; NaN with a reason when not estimable."""

    beta: float = np.nan
    se: float = np.nan  # cluster-robust, CR2-corrected
    se_model: float = np.nan  # Poisson model-based (for the dispersion shown beside it)
    df: float = 0.0  # degrees of freedom of the t critical value (at most clusters - 1)
    clusters: int = 0
    note: str = ""

    def interval(self, level: float = 0.95) -> tuple[float, float, float, float]:
        """(ratio, low, high, two-sided p-value) on the ratio scale."""
        r, lo, hi, p = intervals(np.array([self.beta]), np.array([self.se]), np.array([self.df]), level)
        return float(r[0]), float(lo[0]), float(hi[0]), float(p[0])


def intervals(beta: np.ndarray, se: np.ndarray, df: np.ndarray,
              level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ratio, low, high, two-sided p-value) arrays from log-scale coefficients, their standard
    errors and t degrees of freedom (vectorised: the effect table has thousands of rows). No
    interval where the standard error or the degrees of freedom are missing; NaN ratio for NaN or
    infinite coefficients."""
    # Imported here, not with the module: scipy.stats costs ~0.7 s to import, and every command that
    # loads the readers registry (``python -m etl load``) imports this module without computing.
    from scipy import stats

    beta, se, df = (np.asarray(a, dtype=float) for a in (beta, se, df))
    finite = np.isfinite(beta)
    ok = finite & np.isfinite(se) & (se > 0) & (df >= 1)
    safe_df = np.where(ok, df, 1.0)
    t = stats.t.ppf(0.5 + level / 2, safe_df)
    z = np.where(ok, np.abs(beta) / np.where(ok, se, 1.0), 0.0)
    p = np.where(ok, 2 * stats.t.sf(z, safe_df), np.nan)
    b = np.where(finite, beta, 0.0)
    s = np.where(ok, se, 0.0)
    # Bounded exponent: a near-separated fit can have a huge standard error.
    low = np.where(ok, np.exp(np.clip(b - t * s, -700, 700)), np.nan)
    high = np.where(ok, np.exp(np.clip(b + t * s, -700, 700)), np.nan)
    ratio = np.where(finite, np.exp(np.clip(b, -700, 700)), np.nan)
    return ratio, low, high, p


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes 0..n-1 of the distinct values (in sorted order) and n. Integer ids in a modest range,
    the usual case, are coded with a lookup table in O(n) rather than a sort."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 4 * len(values) + 1024:
            present = np.bincount(values - lo, minlength=hi - lo + 1) > 0
            lut = np.cumsum(present) - 1
            return lut[values - lo].astype(np.int64), int(present.sum())
    codes, uniques = np.unique(values, return_inverse=True)
    return uniques.astype(np.int64), len(codes)


# ------------------------------------------------------------------------------------------------
# Pooled: shared coefficients, hotspot strata absorbed, calendar dummies in the Newton step
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PooledFit:
    coefs: tuple[Coef, ...]  # one per regressor column, NaN with a note for a dropped one
    rows: int  # hotspot-days in the model
    strata: int
    dispersion: float  # Pearson chi-squared / residual df
    mu: np.ndarray | None = None


def fit_pooled(
    y: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray,
    calendar: np.ndarray,
    clusters: np.ndarray,
    names: tuple[str, ...] = (),
    correct: bool = True,
) -> PooledFit:
    """log E[y] = x @ beta + a[stratum] + sum of calendar effects; beta with CR2 cluster intervals.

    ``x``: (n, K) regressors (0/1 exposures). ``strata``: absorbed baseline ids (hotspots).
    ``calendar``: (n, m) integer levels of m calendar factors (day of week, week number), each
    getting one dummy per level except its first. ``clusters``: ids for the robust variance
    (hotspots: strata nested in clusters). Rows that carry no information are dropped first:
    strata and calendar levels with no outcome at all, and for a regressor k > 0 (a nuisance term)
    its exposed rows when they have no outcome (the term would be minus infinity). Column 0 is the
    exposure of interest; when its exposed rows have no outcome, its ratio is 0 with no interval.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    calendar = np.asarray(calendar).reshape(len(y), -1)
    k_all = x.shape[1]
    names = names or tuple(f"x{k}" for k in range(k_all))
    keep = np.ones(len(y), dtype=bool)
    active = list(range(k_all))
    factor_codes = [_codes(ids) for ids in [strata, *calendar.T]]  # once: coding is the slow part
    notes: dict[int, str] = {}
    for _ in range(10):  # dropping rows can empty another level: repeat until stable
        before = keep.sum(), len(active)
        for col in list(active):
            exposed = keep & (x[:, col] > 0)
            if not exposed.any() or exposed.sum() == keep.sum():
                active.remove(col)
                notes[col] = f"no variation in {names[col]}"
            elif y[exposed].sum() == 0:
                if col == 0:
                    return PooledFit(coefs=(Coef(beta=-np.inf, note=f"no crimes on {names[0]}"),) +
                                     tuple(Coef(note="not estimated") for _ in range(k_all - 1)),
                                     rows=int(keep.sum()), strata=0, dispersion=np.nan)
                keep &= ~exposed
                active.remove(col)
                notes[col] = f"no crimes on {names[col]}"
        for codes, n in factor_codes:
            keep &= np.bincount(codes, weights=y * keep, minlength=n)[codes] > 0
        if (keep.sum(), len(active)) == before:
            break
    if 0 not in active:
        return PooledFit(coefs=tuple(Coef(note=notes.get(k, "not estimated")) for k in range(k_all)),
                         rows=int(keep.sum()), strata=0, dispersion=np.nan)
    yk, xk = y[keep], x[keep][:, active]
    s, n_s = _codes(strata[keep])
    cal_cols, n_cal = _calendar_columns(calendar[keep])
    g, n_g = _codes(clusters[keep])
    k = xk.shape[1]
    p = k + n_cal
    theta = np.zeros(p)
    ysum = np.bincount(s, weights=yk, minlength=n_s)
    mu, ll = _concentrated(xk @ theta[:k] + _cal_eta(cal_cols, theta[k:]), s, ysum, yk)
    for _ in range(MAX_ITER):
        grad, info, m_s = _grad_info(xk, cal_cols, n_cal, s, n_s, mu, yk, ysum)
        step = _solve(info, grad)
        if np.max(np.abs(step)) < 1e-8:
            break  # converged: theta, mu and the information are at the maximum (to 1e-8)
        # Newton on a concave likelihood; halve the step if it overshoots.
        t = 1.0
        while True:
            cand = theta + t * step
            mu_c, ll_c = _concentrated(xk @ cand[:k] + _cal_eta(cal_cols, cand[k:]), s, ysum, yk)
            if ll_c >= ll - 1e-12 * abs(ll) or t < 1e-6:
                break
            t /= 2
        # The likelihood stops moving before the step does when the calendar block is rank-deficient
        # (operations that do not overlap in time): beta is identified, the extra direction is not.
        flat = abs(ll_c - ll) < TOL * max(1.0, abs(ll_c))
        theta, mu, ll = cand, mu_c, ll_c
        if flat:
            _grad, info, m_s = _grad_info(xk, cal_cols, n_cal, s, n_s, mu, yk, ysum)
            break
    else:
        return PooledFit(coefs=tuple(Coef(note="the model did not converge") for _ in range(k_all)),
                         rows=int(keep.sum()), strata=n_s, dispersion=np.nan)
    inv = np.linalg.pinv(info, hermitian=True)
    resid = yk - mu
    df_resid = max(len(yk) - n_s - np.linalg.matrix_rank(info), 1)
    phi = float((resid ** 2 / np.maximum(mu, 1e-300)).sum() / df_resid)
    zbar = m_s / np.maximum(ysum, 1e-300)[:, None]  # each stratum's mu-weighted mean of the design
    out: list[Coef] = []
    for col in range(k_all):
        if col not in active:
            out.append(Coef(note=notes.get(col, "not estimated")))
            continue
        j = active.index(col)
        row = inv[j]
        # x~_i = row . (z_i - zbar_s): the coefficient's influence per unit residual (FWL residual / info).
        xt = xk @ row[:k] + _cal_eta(cal_cols, row[k:]) - (zbar @ row)[s]
        se, df = _cr2(xt, resid, mu, g, n_g, correct)
        out.append(Coef(beta=float(theta[j]), se=se, se_model=float(math.sqrt(max(row[j], 0.0))), df=df,
                        clusters=n_g, note="" if df >= 1 else "too few hotspots for an interval"))
    return PooledFit(coefs=tuple(out), rows=int(keep.sum()), strata=n_s, dispersion=phi, mu=mu)


def _calendar_columns(calendar: np.ndarray) -> tuple[np.ndarray, int]:
    """(n, m) dummy column numbers (-1: the factor's first level, no dummy) and the column count."""
    cols = np.full(calendar.shape, -1, dtype=np.int64)
    offset = 0
    for f in range(calendar.shape[1]):
        codes, n = _codes(calendar[:, f])
        cols[:, f] = np.where(codes > 0, codes - 1 + offset, -1)
        offset += n - 1
    return cols, offset


def _cal_eta(cols: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sum of each row's calendar effects; column -1 (a factor's first level) adds nothing."""
    padded = np.append(c, 0.0)  # index -1 -> the appended 0
    out = padded[cols[:, 0]] if cols.shape[1] else np.zeros(len(cols))
    for f in range(1, cols.shape[1]):
        out = out + padded[cols[:, f]]
    return out


def _concentrated(eta: np.ndarray, s: np.ndarray, ysum: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Fitted means with each stratum's baseline at its closed form, and the concentrated log-likelihood."""
    shift = eta.max()
    e = np.exp(eta - shift)
    denom = np.bincount(s, weights=e, minlength=len(ysum))
    mu = ysum[s] * e / denom[s]
    ll = float(y @ (eta - shift) - ysum @ np.log(denom))
    return mu, ll


def _grad_info(x: np.ndarray, cols: np.ndarray, n_cal: int, s: np.ndarray, n_s: int, mu: np.ndarray,
               y: np.ndarray, ysum: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient and information of the concentrated likelihood in (beta, calendar effects).

    Information = sum mu z z' - sum over strata of m_s m_s' / n_s, with m_s = sum mu z (the Schur
    complement of the absorbed baselines); ``m_s`` is returned for the robust variance. A row's
    first-level calendar entries (-1) are counted in a spare last column and dropped, which is
    cheaper than masking every array.
    """
    k = x.shape[1]
    p = k + n_cal
    e = y - mu
    grad = np.empty(p)
    grad[:k] = x.T @ e
    info = np.zeros((p, p))
    mx = x * mu[:, None]
    info[:k, :k] = x.T @ mx
    m_s = np.zeros((n_s, p))
    for j in range(k):
        m_s[:, j] = np.bincount(s, weights=mx[:, j], minlength=n_s)
    if n_cal:
        m = n_cal + 1  # the spare column for -1
        c = np.where(cols < 0, n_cal, cols)
        grad[k:] = 0.0
        for f in range(c.shape[1]):
            cf = c[:, f]
            grad[k:] += np.bincount(cf, weights=e, minlength=m)[:n_cal]
            info[k:, k:][np.diag_indices(n_cal)] += np.bincount(cf, weights=mu, minlength=m)[:n_cal]
            for j in range(k):
                col = np.bincount(cf, weights=mx[:, j], minlength=m)[:n_cal]
                info[j, k:] += col
                info[k:, j] += col
            m_s[:, k:] += np.bincount(s * m + cf, weights=mu, minlength=n_s * m).reshape(n_s, m)[:, :n_cal]
            for f2 in range(f + 1, c.shape[1]):
                cross = np.bincount(cf * m + c[:, f2], weights=mu, minlength=m * m).reshape(m, m)[:n_cal, :n_cal]
                info[k:, k:] += cross + cross.T
    info -= m_s.T @ (m_s / np.maximum(ysum, 1e-300)[:, None])
    return grad, info, m_s


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Newton step; the calendar block is rank-deficient when operations do not overlap in time (a
    period's weeks sum to its hotspots' baselines), so a least-squares step keeps beta identified."""
    try:
        step = np.linalg.solve(info, grad)
        if np.all(np.isfinite(step)):
            return step
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(info, grad, rcond=1e-10)[0]


def _cr2(xt: np.ndarray, resid: np.ndarray, mu: np.ndarray, g: np.ndarray, n_g: int,
         correct: bool = True) -> tuple[float, float]:
    """CR2 cluster-robust standard error for one coefficient and its degrees of freedom.

    ``xt``: the coefficient's influence per unit residual (row of the inverse information times
    the stratum-centred design). Each cluster's score is scaled by 1/sqrt(1 - h_g), h_g being its
    share of the coefficient's information (the rank-one form of Bell and McCaffrey's adjustment).
    ``correct=False`` gives the plain (CR0) sandwich, which the tests compare with statsmodels.
    """
    if n_g < 2:
        return np.nan, 0
    score = np.bincount(g, weights=xt * resid, minlength=n_g)
    lev = np.bincount(g, weights=mu * xt ** 2, minlength=n_g)
    total = lev.sum()
    if total <= 0:
        return np.nan, 0.0
    h = np.clip(lev / total, 0.0, 0.99)
    var = float((score ** 2 / (1 - h)).sum()) if correct else float((score ** 2).sum())
    return math.sqrt(var), _satterthwaite(lev, n_g)


def _satterthwaite(lev: np.ndarray, n_g: int | np.ndarray) -> float | np.ndarray:
    """Degrees of freedom for the t critical value: (sum l_g)^2 / sum l_g^2, at most G - 1.

    Under the working model each cluster's corrected squared score is about l_g times a chi-squared
    on one degree of freedom, l_g being its share of the information; a few dominant clusters leave
    fewer effective degrees of freedom than G - 1 (Satterthwaite's approximation, the idea behind
    Bell and McCaffrey's degrees of freedom). With equal clusters this is G, capped at G - 1.
    """
    sq = np.square(lev)
    eff = np.square(lev.sum()) / np.maximum(sq.sum(), 1e-300)
    return np.minimum(eff, np.asarray(n_g) - 1.0)


# ------------------------------------------------------------------------------------------------
# Per block: each hotspot its own coefficients, day-of-week strata nested in it, batched Newton
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockFit:
    beta: np.ndarray  # (B, K); NaN where not estimated
    se: np.ndarray  # (B, K) CR2 by cluster within the block
    df: np.ndarray  # (B, K) degrees of freedom of the t critical value (at most clusters - 1)
    clusters: np.ndarray  # (B,)


def fit_by_block(y: np.ndarray, x: np.ndarray, block: np.ndarray, n_blocks: int, strata: np.ndarray,
                 clusters: np.ndarray, correct: bool = True) -> BlockFit:
    """log E[y] = x @ beta[block] + a[stratum], strata nested in blocks; all blocks at once.

    ``x``: (n, K) 0/1 exposures. ``block``: 0..n_blocks-1. Returns NaN for a block (or a column of
    it) that cannot be estimated: the caller decides the reason (it knows which days and crimes the
    block has). A nuisance column k > 0 with no outcome on its exposed rows is handled by dropping
    those rows in that block. ``correct=False`` gives the plain (CR0) cluster sandwich, for
    comparison with statsmodels.

    The likelihood depends on the rows only through the totals of each stratum and exposure
    pattern (a hotspot's Mondays with a patrol, ...), so Newton runs on those cells (a few thousand
    for 100 hotspots x 3 years instead of 110,000 rows); the rows come back once, for the
    cluster-robust variance.
    """
    y = np.asarray(y, dtype=float)
    x = (np.asarray(x, dtype=float).reshape(len(y), -1) > 0)
    k = x.shape[1]
    block = np.asarray(block, dtype=np.int64)
    s_row, n_s = _codes(strata)
    pattern = (x * (1 << np.arange(k))).sum(axis=1)
    cell, n_cell = _codes(s_row * (1 << k) + pattern)
    cy = np.bincount(cell, weights=y, minlength=n_cell)
    cn = np.bincount(cell, minlength=n_cell).astype(float)
    first = np.zeros(n_cell, dtype=np.int64)
    first[cell[::-1]] = np.arange(len(cell))[::-1]  # a row of each cell
    cx = x[first].astype(float)
    cb = block[first]
    cs = s_row[first]
    keep = np.ones(n_cell, dtype=bool)
    use = np.ones((n_blocks, k), dtype=bool)  # column k estimated in block b
    for _ in range(5):
        before = keep.sum(), use.sum()
        sy = np.bincount(cs, weights=cy * keep, minlength=n_s)
        keep &= sy[cs] > 0
        w = cn * keep
        for col in range(k):
            ex = np.bincount(cb, weights=w * cx[:, col], minlength=n_blocks)
            n = np.bincount(cb, weights=w, minlength=n_blocks)
            yex = np.bincount(cb, weights=keep * cx[:, col] * cy, minlength=n_blocks)
            # Within-stratum variation is what identifies the column.
            sx = np.bincount(cs, weights=w * cx[:, col], minlength=n_s)
            sn = np.bincount(cs, weights=w, minlength=n_s)
            varies = (sx > 0) & (sx < sn)
            has_var = np.bincount(cb, weights=(varies[cs] & keep).astype(float), minlength=n_blocks) > 0
            bad = (ex == 0) | (ex == n) | ~has_var
            if col > 0:
                empty = (yex == 0) & ~bad
                keep &= ~(empty[cb] & (cx[:, col] > 0))
                bad |= empty
            use[:, col] &= ~bad
        if (keep.sum(), use.sum()) == before:
            break
    beta = np.zeros((n_blocks, k))
    yk = cy * keep
    wk = cn * keep
    ysum = np.bincount(cs, weights=yk, minlength=n_s)
    sblock = np.zeros(n_s, dtype=np.int64)
    sblock[cs] = cb
    xm = cx * use[cb]  # columns not estimated in a block are zeroed there
    pin = np.eye(k)[None] * (~use)[:, :, None]  # pinned columns: identity keeps the solve regular
    for _ in range(MAX_ITER):
        mu = _block_mu((xm * beta[cb]).sum(axis=1), cs, ysum, wk)
        grad, info, _m = _block_grad_info(xm, yk, mu, cb, n_blocks, cs, n_s, sblock, ysum, k)
        # pinv, not solve: a block whose two terms cannot be told apart (every day without a patrol
        # follows one) has a singular information matrix; it is reported as not estimable below.
        step = (np.linalg.pinv(info + pin, hermitian=True) @ grad[..., None])[..., 0]
        step = np.clip(step, -5, 5) * use
        beta += step
        if np.max(np.abs(step), initial=0.0) < 1e-8:
            break
    mu = _block_mu((xm * beta[cb]).sum(axis=1), cs, ysum, wk)
    _g, info, m_s = _block_grad_info(xm, yk, mu, cb, n_blocks, cs, n_s, sblock, ysum, k)
    info = info + pin
    inv = np.linalg.pinv(info, hermitian=True)
    scale = np.maximum(np.abs(np.diagonal(info, axis1=1, axis2=2)).max(axis=1), 1e-300)
    singular = np.abs(np.linalg.det(info)) < 1e-10 * scale ** k
    use &= ~singular[:, None]
    zc = xm - m_s[cs] / np.maximum(ysum, 1e-300)[cs][:, None]  # stratum-centred design, per cell
    # Back to the rows for the robust variance: each row's fitted mean is its cell's share.
    row_keep = keep[cell]
    mu_row = np.where(row_keep, mu[cell] / np.maximum(cn[cell], 1.0), 0.0)
    resid = np.where(row_keep, y - mu_row, 0.0)
    c, n_c = _codes(clusters)
    cblock = np.zeros(n_c, dtype=np.int64)
    cblock[c] = block
    present = np.bincount(c, weights=row_keep.astype(float), minlength=n_c) > 0
    n_clusters = np.bincount(cblock, weights=present.astype(float), minlength=n_blocks).astype(int)
    se = np.full((n_blocks, k), np.nan)
    df = np.zeros((n_blocks, k))
    for col in range(k):
        xt = ((inv[cb, col, :] * zc).sum(axis=1) * keep)[cell]
        score = np.bincount(c, weights=xt * resid, minlength=n_c)
        lev = np.bincount(c, weights=mu_row * xt ** 2, minlength=n_c)
        total = np.bincount(cblock, weights=lev, minlength=n_blocks)
        h = np.clip(lev / np.maximum(total[cblock], 1e-300), 0.0, 0.99)
        var = np.bincount(cblock, weights=score ** 2 / (1 - h if correct else 1.0), minlength=n_blocks)
        se[:, col] = np.sqrt(var)
        sq = np.bincount(cblock, weights=lev ** 2, minlength=n_blocks)
        df[:, col] = np.minimum(total ** 2 / np.maximum(sq, 1e-300), n_clusters - 1.0)
    beta = np.where(use, beta, np.nan)
    se = np.where(use & (n_clusters[:, None] >= 2), se, np.nan)
    return BlockFit(beta=beta, se=se, df=np.maximum(df, 0.0), clusters=n_clusters)


def _block_mu(eta: np.ndarray, s: np.ndarray, ysum: np.ndarray, w: np.ndarray) -> np.ndarray:
    e = np.exp(np.clip(eta, -50, 50)) * w
    denom = np.bincount(s, weights=e, minlength=len(ysum))
    return ysum[s] * e / np.maximum(denom[s], 1e-300)


def _block_grad_info(x: np.ndarray, y: np.ndarray, mu: np.ndarray, block: np.ndarray, n_blocks: int,
                     s: np.ndarray, n_s: int, sblock: np.ndarray, ysum: np.ndarray,
                     k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = y - mu
    grad = np.stack([np.bincount(block, weights=x[:, j] * e, minlength=n_blocks) for j in range(k)], axis=1)
    m_s = np.stack([np.bincount(s, weights=mu * x[:, j], minlength=n_s) for j in range(k)], axis=1)
    info = np.empty((n_blocks, k, k))
    for a in range(k):
        for b in range(a, k):
            raw = np.bincount(block, weights=mu * x[:, a] * x[:, b], minlength=n_blocks)
            corr = np.bincount(sblock, weights=m_s[:, a] * m_s[:, b] / np.maximum(ysum, 1e-300), minlength=n_blocks)
            info[:, a, b] = info[:, b, a] = raw - corr
    return grad, info, m_s
