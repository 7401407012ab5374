"""Least-squares fit of a source model's parameters to all measured curves at once, by superposition of
precomputed kernels: each evaluation is a weighted sum, not a run. The model is a callable giving the kernel
weights (an array of the kernels' leading shape) of a parameter dict (IOERT beams: :mod:`.model`; INTRABEAM
spectra: :mod:`.intrabeam`).

Each curve c has its own scale s_c (measured curves are relative; solved in closed form at every step) and its
own position offset d_c (the set-up's positioning error: a nuisance parameter with a Gaussian prior of
POSITION_SIGMA_CM, applied to first order, D(x - d) = D(x) - d D'(x); an exact shift through a spline of the
noisy kernels was tried and rejected: reading noisy kernels between their points averages their noise, which
pulls the offsets to half-bin positions). The residual of point k is (m_k - s_c (D_k - d_c D'_k)) / u_k with
u_k^2 = u_dose^2 + s_c^2 Var(D_k): the measured dose's 1-sigma (from the file, else DOSE_SIGMA of the curve's
maximum) and the kernels' statistical variance, taken at the weights of the previous solution and held during
each solve (iteratively reweighted: see :class:`_Problem`).

The kernels' noise also sits in the numerators. A trial beam with weights W picks up the noise sum_n W_n eps_n,
whose expected square s_c^2 sum_n W_n^2 Var_n depends on the trial: it is smallest where the weights are
spread over many nodes (between the angular nodes, a wide energy spectrum). Plain least squares therefore
prefers such beams whatever the data say: with kernels noisier than the measurement, issue 20's round trip
gave the angular spread 30 % low and the energy FWHM at its range limit. The objective is corrected for it, sum_k (r_k^2 -
noise_k) with noise_k = s_c^2 sum_n W_n^2 Var_nk / u_k^2, whose expectation over the kernels' noise is that of
noiseless kernels (the corrected score of errors-in-variables models: T. Nakamura, Biometrika 77 (1990)
127-137; W. A. Fuller, Measurement Error Models, Wiley 1987, ch. 3); the scale's normal equation is corrected
the same way. To keep a least-squares form each point adds a row sqrt(B_k - noise_k), B_k a bound of noise_k
over the parameter range. The correction removes the pull, not the noise: with noisy kernels the spreads
come back with the wide 1-sigma the bootstrap below reports, or are held as undetermined.

The spreads are fitted as variances (the dose is smooth in them through zero). Parameter covariances are
(J^T J)^-1 of the points and offsets (marginal over the offsets) scaled by chi^2/dof when that exceeds 1, plus
the kernels' share: the same noisy kernels serve every trial parameter, so their noise is a systematic error of
the fit, estimated by refitting with the kernels redrawn within their uncertainty (:func:`_kernel_covariance`).
A parameter whose 1-sigma exceeds UNDETERMINED of its range is held at the machine's value (the data do not determine it) and the fit repeated without it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import least_squares


POSITION_SIGMA_CM = 0.05        # 1-sigma positioning of a water-tank set-up (0.5 mm)
OFFSET_LIMIT_CM = 0.3           # offsets beyond this are not positioning errors
DOSE_SIGMA = 0.005              # 1-sigma of a measured dose without its own, fraction of the curve maximum
UNDETERMINED = 0.25             # held fixed when 1-sigma > this fraction of the parameter's range
KERNEL_RESAMPLES = 12           # refits with redrawn kernels that estimate the kernels' share of the 1-sigma
KERNEL_RESAMPLE_SEED = 20261204
KERNEL_DOMINANT = 0.7           # warn when the kernels' share exceeds this fraction of a parameter's 1-sigma
REWEIGHT_ROUNDS, REWEIGHT_TOL = 6, 1e-3     # solves with the kernels' variance fixed (see _Problem)
BOUND_GRID, SQUARE_SUM_MARGIN = 9, 2.0      # the bound on sum W^2 that keeps the correction terms real
NOISE_SCALE_BOUND = 2.0                     # ... and on how far a curve's scale may move from the held one


@dataclass(frozen=True)
class CurveData:
    """One measured curve at the kernels: measured dose m and its 1-sigma u (relative to the curve's
    maximum); kernel values V, variances Var and position derivatives dV (energies, spreads, points)."""

    label: str
    m: np.ndarray
    u: np.ndarray
    V: np.ndarray
    Var: np.ndarray
    dV: np.ndarray


def curve_data(label, curve, V, Var, dV) -> CurveData:
    """CurveData of a MeasuredCurve normalised to its maximum."""
    scale = float(curve.dose.max())
    u = curve.sigma / scale if curve.sigma is not None else np.full(curve.dose.size, DOSE_SIGMA)
    return CurveData(label, curve.dose / scale, np.maximum(u, 1e-6), V, Var, dV)


@dataclass
class FitResult:
    """values / sigma (parameter name -> value in its unit); correlation (free x free); free: names fitted;
    held: name -> reason; chi2, dof; scales and offsets (cm): curve label -> value; warnings; kernel_sigma:
    the part of each free parameter's 1-sigma that comes from the kernels' statistics (included in sigma)."""

    values: dict
    sigma: dict
    correlation: np.ndarray
    free: tuple
    held: dict
    chi2: float
    dof: int
    scales: dict
    offsets: dict
    warnings: list = field(default_factory=list)
    kernel_sigma: dict = field(default_factory=dict)


def _to_x(p, value):
    return value * value if p.squared else value


def _from_x(p, x):
    return float(np.sqrt(max(x, 0.0))) if p.squared else float(x)


def _natural_sigma(p, x, sigma_x) -> float:
    """1-sigma of the parameter from that of its fitted variable: a squared one's is dv / (2 sqrt v), or near
    v = 0 the value that one sigma of v allows."""
    if not p.squared or not np.isfinite(sigma_x):
        return float(sigma_x)
    v = max(float(x), 0.0)
    return float(sigma_x / (2 * np.sqrt(v)) if v > sigma_x else np.sqrt(v + sigma_x) - np.sqrt(v))


class _Problem:
    """The residuals of the curves for trial parameters. The kernels' variance in each point's 1-sigma is that
    of the kernel weights ``var_weights`` (fixed during a solve, updated between solves by :func:`fit`): a
    variance that followed the trial weights would pull the fit towards beams whose weights sit on few (noisy)
    kernels, a monoenergetic beam on a node, since that inflates the denominators. The noise correction (module
    docstring) follows the trial weights; ``square_sum`` bounds sum W^2 over the parameter range."""

    def __init__(self, weights, data: list, params: dict, square_sum: float):
        self.weights, self.data, self.params, self.square_sum = weights, data, params, square_sum
        self.var_weights = self.noise_bound = None

    def hold(self, x, free, fixed) -> None:
        """Take the kernels' variance at the weights of x from now on, and bound each point's noise term over
        the parameter range (square_sum bounds sum W^2; the scale may change by NOISE_SCALE_BOUND)."""
        values = self.values(x, free, fixed)
        self.var_weights = self.weights(values)
        V2 = self.var_weights ** 2
        bounds = []
        for c, (s, _, _) in zip(self.data, self.curves(values, x[len(free):])):
            held = np.tensordot(V2, c.Var, axes=V2.ndim)
            top = (NOISE_SCALE_BOUND * s) ** 2 * self.square_sum * c.Var.reshape(-1, c.m.size).max(axis=0)
            bounds.append(top / (c.u ** 2 + s * s * held))
        self.noise_bound = np.concatenate(bounds)

    def curves(self, values: dict, offsets) -> list:
        """(scale, residuals, noise) per curve (var_weights must be set): noise is each point's expected squared
        residual from the kernels' statistics at these trial weights, s^2 sum_n W_n^2 Var_n / u^2."""
        W = self.weights(values)
        V2, W2 = self.var_weights ** 2, W * W
        out = []
        for c, d_c in zip(self.data, offsets):
            d = np.tensordot(W, c.V, axes=W.ndim) - d_c * np.tensordot(W, c.dV, axes=W.ndim)
            held, trial = np.tensordot(V2, c.Var, axes=W.ndim), np.tensordot(W2, c.Var, axes=W.ndim)
            s = float(np.sum(c.m * d / c.u ** 2) / np.sum((d * d - trial) / c.u ** 2))
            u2 = c.u ** 2 + s * s * held
            out.append((s, (c.m - s * d) / np.sqrt(u2), s * s * trial / u2))
        return out

    def values(self, x, free, fixed) -> dict:
        """The parameter dict of fitted variables x (free names first, then offsets) and the held values."""
        return dict(fixed, **{n: _from_x(self.params[n], v) for n, v in zip(free, x)})

    def residuals(self, x, free, fixed) -> np.ndarray:
        """The points' residuals, the offsets' prior terms, then one correction term per point: the sum of squares
        is chi^2 - sum(noise) + const (the corrected score, see the module docstring)."""
        offsets = x[len(free):]
        curves = self.curves(self.values(x, free, fixed), offsets)
        noise = np.concatenate([n for _, _, n in curves])
        return np.concatenate([r for _, r, _ in curves] + [offsets / POSITION_SIGMA_CM,
                                                           np.sqrt(np.clip(self.noise_bound - noise, 0.0, None))])


def _kernel_covariance(problem: _Problem, solve, x, free, fixed) -> np.ndarray:
    """Covariance of the fitted parameters (free x free, fitted variables) that the kernels' statistical
    noise causes: the fit repeated KERNEL_RESAMPLES times from ``x`` with every kernel value redrawn from a
    Gaussian of its own variance (a parametric bootstrap; fixed seed, so the result is reproducible; the redrawn
    kernels are twice as far from the true ones, so their variance is doubled). Zero for noiseless kernels. The
    same kernels serve every trial parameter, so their noise acts as a systematic error of the fit that
    (J^T J)^-1 does not see."""
    n_free = len(free)
    if not any(np.any(c.Var > 0) for c in problem.data):
        return np.zeros((n_free, n_free))
    rng = np.random.default_rng(KERNEL_RESAMPLE_SEED)
    trials = []
    for _ in range(KERNEL_RESAMPLES):
        redrawn = _Problem(problem.weights, [replace(c, V=c.V + np.sqrt(c.Var) * rng.standard_normal(c.V.shape),
                                                     Var=2.0 * c.Var) for c in problem.data],
                           problem.params, problem.square_sum)
        redrawn.hold(x, free, fixed)
        trials.append(solve(redrawn, x).x[:n_free])
    return np.atleast_2d(np.cov(np.array(trials), rowvar=False))


def _solve_reweighted(problem: _Problem, solve, x0, free, fixed):
    """Solve with the kernels' variance taken at the weights of the last solution (first: of the start), until
    the solution moves by less than REWEIGHT_TOL of its range (at most REWEIGHT_ROUNDS solves); the problem keeps
    the last variance weights."""
    x = np.asarray(x0, dtype=float)
    for _ in range(REWEIGHT_ROUNDS):
        problem.hold(x, free, fixed)
        sol = solve(problem, x)
        moved = np.abs(sol.x - x)[:len(free)] / np.array([_to_x(problem.params[n], problem.params[n].high)
                                                          - _to_x(problem.params[n], problem.params[n].low) for n in free])
        x = sol.x
        if np.all(moved < REWEIGHT_TOL):
            break
    return sol


def _square_sum_bound(weights, params: dict) -> float:
    """SQUARE_SUM_MARGIN x the largest sum of squared kernel weights on a grid of BOUND_GRID values of each
    parameter over its range (spectra beyond the nodes skipped)."""
    grids = [np.linspace(p.low, p.high, BOUND_GRID) for p in params.values()]
    largest = 0.0
    for point in np.stack(np.meshgrid(*grids, indexing="ij"), axis=-1).reshape(-1, len(grids)):
        try:
            largest = max(largest, float(np.sum(weights(dict(zip(params, point))) ** 2)))
        except ValueError:
            continue
    return SQUARE_SUM_MARGIN * largest


def fit(weights, data: list, parameters: tuple) -> FitResult:
    """Fit ``parameters`` (model.Parameter: start, range) to the curves (CurveData list); ``weights(values)``
    gives the kernel weights of a {name: value} dict."""
    params = {p.name: p for p in parameters}
    problem = _Problem(weights, data, params, _square_sum_bound(weights, params))
    n_points, n_curves = sum(c.m.size for c in data), len(data)
    held = {}
    while True:
        free = tuple(n for n in params if n not in held)
        fixed = {n: params[n].start for n in held}
        lo = np.array([_to_x(params[n], params[n].low) for n in free] + [-OFFSET_LIMIT_CM] * n_curves)
        hi = np.array([_to_x(params[n], params[n].high) for n in free] + [OFFSET_LIMIT_CM] * n_curves)
        span = hi - lo
        x0 = np.clip([_to_x(params[n], params[n].start) for n in free] + [0.0] * n_curves, lo + 1e-3 * span, hi - 1e-3 * span)
        scale = np.concatenate([span[:len(free)], np.full(n_curves, POSITION_SIGMA_CM)])
        solve = lambda prob, start: least_squares(prob.residuals, start, bounds=(lo, hi), x_scale=scale,  # noqa: E731
                                                  diff_step=1e-4, xtol=1e-10, ftol=1e-12, args=(free, fixed))
        sol = _solve_reweighted(problem, solve, x0, free, fixed)
        chi2 = float(np.sum(sol.fun[:n_points] ** 2))
        dof = max(1, n_points - len(free) - 2 * n_curves)
        jac = sol.jac[:n_points + n_curves]              # the points and the offsets' priors
        cov_full = np.linalg.pinv(jac.T @ jac) * max(1.0, chi2 / dof)
        cov_kernels = _kernel_covariance(problem, solve, np.clip(sol.x, lo + 1e-6 * span, hi - 1e-6 * span), free,
                                         fixed)
        cov = cov_full[:len(free), :len(free)] + cov_kernels
        sigma_x = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        sigma_x[np.linalg.norm(jac[:, :len(free)], axis=0) == 0] = np.inf      # no sensitivity at all
        sigma = {n: _natural_sigma(params[n], x, sx) for n, x, sx in zip(free, sol.x, sigma_x)}
        ratio = np.array([sigma[n] / (params[n].high - params[n].low) for n in free])
        worst = int(np.argmax(ratio))
        if len(free) > 1 and ratio[worst] > UNDETERMINED:
            name = free[worst]
            p = params[name]
            held[name] = (f"the data do not determine it (its 1-sigma would span {100 * ratio[worst]:.0f} % of its "
                          f"range {p.low:.3g}-{p.high:.3g} {p.unit}); held at the machine's {p.start:.4g}")
            continue
        break
    fitted = {n: _from_x(params[n], x) for n, x in zip(free, sol.x)}
    values = dict(fixed, **fitted)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
    offsets = sol.x[len(free):]
    kernel_sigma = {n: _natural_sigma(params[n], x, sk)
                    for n, x, sk in zip(free, sol.x, np.sqrt(np.clip(np.diag(cov_kernels), 0.0, None)))}
    result = FitResult(values, dict({n: 0.0 for n in held}, **sigma), corr, free, held, chi2, dof,
                       {c.label: s for c, (s, _, _) in zip(data, problem.curves(values, offsets))},
                       {c.label: float(d) for c, d in zip(data, offsets)}, kernel_sigma=kernel_sigma)
    for n in free:
        if kernel_sigma[n] > KERNEL_DOMINANT * sigma[n]:
            result.warnings.append(f"{n}: the kernels' statistics give {kernel_sigma[n]:.3g} of its 1-sigma "
                                   f"{sigma[n]:.3g} {params[n].unit}: more kernel histories would narrow it")
    for n in free:
        p, x = params[n], fitted[n]
        if p.high - x < 1e-3 * (p.high - p.low) or (x - p.low < 1e-3 * (p.high - p.low) and not p.squared):
            result.warnings.append(f"{n} = {x:.4g} {p.unit} is at the edge of its range {p.low:.4g}-{p.high:.4g}: "
                                   "the model may not describe this beam (check the applicator tags and units)")
    for label, d in result.offsets.items():
        if abs(d) > 3 * POSITION_SIGMA_CM:
            result.warnings.append(f"{label}: fitted position offset {10 * d:+.1f} mm, more than a positioning error: "
                                   "check the curve's origin (surface, axis)")
    if chi2 / dof > 4:
        result.warnings.append(f"chi2/dof = {chi2 / dof:.1f}: the fitted model does not describe the measurements "
                               "within their uncertainties (see the curves)")
    return result
