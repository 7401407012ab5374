"""The beam model's free parameters and how they weight precomputed dose kernels (superposition).

The dose of a beam with a Gaussian energy spectrum at the exit window (``mean_energy``, ``energy_fwhm``, MeV;
truncated at +-3 sigma as :func:`mcdose.sources.ioert.spectrum` samples it) and a Gaussian angular spread
(``angular_sigma``, degrees) is written as a weighted sum of kernels K(E_i, s_j) computed for monoenergetic
beams at energy nodes E_i and angular-spread nodes s_j:

- energy: the kernel is interpolated in E by a not-a-knot cubic spline through the nodes, so the weight of
  node i is the spectrum's integral of the spline's cardinal function L_i (exact for doses cubic in E between
  nodes; the weights may be slightly negative). Unlike spectral lines at the nodes, this adds no spurious
  spread of order the node spacing.
- angular spread: the dose is a smooth function of the variance s^2 (the spread enters as a convolution);
  it is interpolated by the Lagrange polynomial in s^2 through the nodes 0, s/2, s, 2s. (With three nodes 0, s,
  2s the quadratic reached across blurs far wider than the penumbra -- 2 degrees at the head blur the field by
  ~2 cm at the applicator end -- to read the machines' ~0.5 degree; a node at s/2 puts one there.)

Spot size and virtual source distance stay at the machine's values (the spot is a fraction of a millimetre
upstream of the head's scattering; both are degenerate with the angular spread in water-tank data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import ndtr

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
TRUNCATION_SIGMAS = 3.0          # the ioert family's spectrum is cut at +-3 sigma
QUADRATURE_CELLS = 4000          # cells of the energy quadrature over the node range
NARROW_CELLS = 4.0               # a spectrum with sigma below this many cells: moment expansion
# variance of a Gaussian cut at +-3 sigma, in sigma^2: 1 - 2 t phi(t) / (2 Phi(t) - 1) at t = 3
TRUNCATED_VARIANCE = 1.0 - 2.0 * TRUNCATION_SIGMAS * math.exp(-0.5 * TRUNCATION_SIGMAS ** 2) / math.sqrt(2.0 * math.pi) \
    / (2.0 * ndtr(TRUNCATION_SIGMAS) - 1.0)
ENERGY_SPAN, ENERGY_STEP = 0.30, 0.05     # nodes (1 +- span) x the machine's mean energy, step x mean energy
MEAN_RANGE, FWHM_MAX = 0.15, 0.10         # fit ranges: mean (1 +- 0.15) x machine's, FWHM <= 0.10 x mean
SPREAD_MIN_DEG = 1.0                      # spread nodes 0, s/2, s, 2s with s = max(machine's sigma, 1 degree)


@dataclass(frozen=True)
class Nodes:
    """Kernel nodes: energies (MeV, increasing) and angular spreads (degrees, 0 first)."""

    energies: tuple
    spreads: tuple


@dataclass(frozen=True)
class Parameter:
    """A fit parameter: the model's value (start) and its allowed range (low, high) in ``unit``; ``squared``:
    fitted as its square (a spread, on which the dose depends smoothly through zero)."""

    name: str
    start: float
    low: float
    high: float
    unit: str = ""
    squared: bool = False


def nodes_for(beam) -> Nodes:
    """Kernel nodes for a machine beam (machines.Energy): energies over (1 +- ENERGY_SPAN) x mean_energy in
    steps of ENERGY_STEP x mean_energy; spreads 0, s/2, s, 2s degrees."""
    n = int(round(ENERGY_SPAN / ENERGY_STEP))
    energies = tuple(round(beam.mean_energy * (1.0 + ENERGY_STEP * k), 6) for k in range(-n, n + 1))
    s = max(beam.angular_sigma, SPREAD_MIN_DEG)
    return Nodes(energies, (0.0, 0.5 * s, s, 2.0 * s))


def parameters_for(beam, nodes: Nodes) -> tuple:
    """The three fit parameters with the machine's values as start and their ranges."""
    e = beam.mean_energy
    return (Parameter("mean_energy", e, (1 - MEAN_RANGE) * e, (1 + MEAN_RANGE) * e, "MeV"),
            Parameter("energy_fwhm", min(beam.energy_fwhm, FWHM_MAX * e), 0.0, FWHM_MAX * e, "MeV", True),
            Parameter("angular_sigma", min(beam.angular_sigma, nodes.spreads[-1]), 0.0, nodes.spreads[-1], "degrees",
                      True))


class Weights:
    """Kernel weights W[i, j] (energy node i, spread node j) of a parameter vector."""

    def __init__(self, nodes: Nodes):
        self.nodes = nodes
        e = np.asarray(nodes.energies, float)
        self._edges = np.linspace(e[0], e[-1], QUADRATURE_CELLS + 1)
        self._cardinal = CubicSpline(e, np.eye(e.size), axis=0)          # L_i(E), columns i
        self._cell_basis = self._cardinal(0.5 * (self._edges[1:] + self._edges[:-1]))
        self._t = np.asarray(nodes.spreads, float) ** 2

    def energy(self, mean: float, fwhm: float) -> np.ndarray:
        """Weights of the energy nodes (sum 1) for a Gaussian of this mean and FWHM (MeV), cut at +-3 sigma."""
        sigma = fwhm / FWHM_PER_SIGMA
        e = self.nodes.energies
        if not e[0] <= mean - TRUNCATION_SIGMAS * sigma and mean + TRUNCATION_SIGMAS * sigma <= e[-1]:
            raise ValueError(f"spectrum {mean:g} +- 3 x {sigma:g} MeV outside the kernel nodes {e[0]:g}-{e[-1]:g} MeV")
        if sigma < NARROW_CELLS * (self._edges[1] - self._edges[0]):
            # narrower than the quadrature resolves: the moment expansion L(mean) + var/2 L''(mean), smooth in
            # sigma through 0 (so a fit can tell a narrow spectrum from a line)
            return self._cardinal(mean) + 0.5 * TRUNCATED_VARIANCE * sigma * sigma * self._cardinal(mean, 2)
        u = np.clip((self._edges - mean) / sigma, -TRUNCATION_SIGMAS, TRUNCATION_SIGMAS)
        mass = np.diff(ndtr(u))
        return mass @ self._cell_basis / mass.sum()

    def spread(self, sigma_deg: float) -> np.ndarray:
        """Lagrange weights in s^2 through the spread nodes (exact for doses polynomial in s^2 of their degree)."""
        t, nodes = sigma_deg ** 2, self._t
        return np.array([np.prod([(t - b) / (a - b) for b in nodes if b != a]) for a in nodes])

    def __call__(self, values: dict) -> np.ndarray:
        return np.outer(self.energy(values["mean_energy"], values["energy_fwhm"]), self.spread(values["angular_sigma"]))
