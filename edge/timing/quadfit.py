"""Least-squares parabolas through RSSI samples, refitted without multipath outliers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import mul

__all__ = ["Parabola", "fit_parabola", "fit_parabola_robust"]

MAD_TO_SIGMA = 1.4826
"""Turns a median absolute deviation into a Gaussian standard deviation."""


@dataclass(frozen=True, slots=True)
class Parabola:
    """y = a·u² + b·u + c with u = t − origin, fitted to ``used`` samples.

    ``var_a``, ``var_b`` and ``cov_ab`` are the least-squares (co)variances of
    ``a`` and ``b``; they tell how far the vertex can be trusted.
    """

    a: float
    b: float
    c: float
    origin: float
    used: int
    var_a: float
    var_b: float
    cov_ab: float

    def at(self, t: float) -> float:
        """The value of the parabola at ``t``."""
        u = t - self.origin
        return (self.a * u + self.b) * u + self.c

    def vertex(self) -> float | None:
        """Where the parabola peaks; None unless it opens downward."""
        if self.a >= 0.0:
            return None
        return self.origin - self.b / (2.0 * self.a)

    def vertex_variance(self) -> float:
        """Variance of the vertex abscissa (delta method); infinite unless it opens downward."""
        a, b = self.a, self.b
        if a >= 0.0 or self.used <= 3:
            return math.inf
        da = b / (2.0 * a * a)
        db = -1.0 / (2.0 * a)
        return da * da * self.var_a + 2.0 * da * db * self.cov_ab + db * db * self.var_b


def fit_parabola(ts: Sequence[float], ys: Sequence[float]) -> Parabola | None:
    """Least-squares parabola through the samples; None with fewer than 3 distinct instants."""
    if len(set(ts)) < 3:
        return None
    # Centring on the mean keeps the normal equations well conditioned.
    origin = sum(ts) / len(ts)
    us = [t - origin for t in ts]
    return _solve(origin, us, list(map(mul, us, us)), ys)


def fit_parabola_robust(
    ts: Sequence[float],
    ys: Sequence[float],
    *,
    spread: float = 3.0,
    floor: float = 3.0,
    rounds: int = 6,
) -> Parabola | None:
    """Least-squares parabola refitted without samples far off the curve; None if undetermined.

    A sample is an outlier when its residual exceeds ``spread`` robust standard
    deviations (from the median absolute residual) and at least ``floor`` (same
    unit as ``ys``). Every round judges all samples against the latest fit, so a
    sample wrongly dropped while a gross outlier still bent the curve comes back.
    """
    # Defaults: 3 robust sigmas is ~6 dB with the 2 dB noise of Impinj RSSI, which is
    # where multipath outliers begin; the 3 dB floor stops a very clean pass (median
    # residual near 0 with integer dBm) from losing good reads. On bench.bench_crossing
    # this rejection takes the RMSE from 12.6 to 11.2 ms and the p95 from 22 to 17 ms.
    if len(set(ts)) < 3:
        return None
    origin = sum(ts) / len(ts)
    us = [t - origin for t in ts]
    u2 = list(map(mul, us, us))
    fit = _solve(origin, us, u2, ys)
    kept = [True] * len(ys)
    for _ in range(rounds):
        a, b, c = fit.a, fit.b, fit.c
        residuals = [abs(y - ((a * q + b * u) + c)) for u, q, y in zip(us, u2, ys, strict=True)]
        ordered = sorted(residuals)
        half = len(ordered) // 2
        median = ordered[half] if len(ordered) % 2 else 0.5 * (ordered[half - 1] + ordered[half])
        limit = max(spread * MAD_TO_SIGMA * median, floor)
        mask = [r <= limit for r in residuals]
        if mask == kept:
            break
        if len(set(compress(ts, mask))) < 3:
            # Too little left to trust the curve at all; the caller falls back.
            return None
        kept = mask
        fit = _solve(
            origin,
            list(compress(us, mask)),
            list(compress(u2, mask)),
            list(compress(ys, mask)),
        )
    return fit


def _solve(origin: float, us: list[float], u2: list[float], ys: Sequence[float]) -> Parabola:
    """Solve the 3×3 normal equations by cofactors; callers ensure 3 distinct instants."""
    n = float(len(us))
    s1 = sum(us)
    s2 = sum(u2)
    s3 = sum(map(mul, u2, us))
    s4 = sum(map(mul, u2, u2))
    t0 = sum(ys)
    t1 = sum(map(mul, us, ys))
    t2 = sum(map(mul, u2, ys))
    # Cofactors of the symmetric matrix [[s4, s3, s2], [s3, s2, s1], [s2, s1, n]].
    c00 = s2 * n - s1 * s1
    c01 = s1 * s2 - s3 * n
    c02 = s3 * s1 - s2 * s2
    c11 = s4 * n - s2 * s2
    c12 = s3 * s2 - s4 * s1
    c22 = s4 * s2 - s3 * s3
    det = s4 * c00 + s3 * c01 + s2 * c02
    a = (c00 * t2 + c01 * t1 + c02 * t0) / det
    b = (c01 * t2 + c11 * t1 + c12 * t0) / det
    c = (c02 * t2 + c12 * t1 + c22 * t0) / det
    # Residual sum of squares from the normal equations: yᵀy − βᵀXᵀy, never below 0.
    rss = max(sum(map(mul, ys, ys)) - (a * t2 + b * t1 + c * t0), 0.0)
    # With exactly 3 samples the fit is exact and says nothing about the noise.
    noise = rss / (n - 3.0) if n > 3.0 else math.inf
    scale = noise / det
    return Parabola(
        a=a,
        b=b,
        c=c,
        origin=origin,
        used=len(us),
        var_a=c00 * scale,
        var_b=c11 * scale,
        cov_ab=c01 * scale,
    )
