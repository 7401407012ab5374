"""Beam quality of a kilovoltage photon spectrum: the aluminium half-value layer and the effective energy.

The HVL is the aluminium thickness that halves the air kerma of the spectrum in narrow-beam geometry
(exponential attenuation, no scatter): sum_i w_i E_i (mu_en/rho)_air(E_i) exp(-mu_Al(E_i) t) = half the
sum at t = 0; the effective energy is the monoenergetic energy with the same HVL (ICRU Report 17 method).
Attenuation data from the NIST-verified tables of :mod:`mcdose.physics`. Energies in MeV, lengths in cm.
A broad-beam measurement (scatter in the aluminium reaching the chamber) gives a larger HVL.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from ..errors import InputError

ALUMINIUM_DENSITY = 2.699     # g/cm3


def aluminium_hvl(energy, weight) -> float:
    """Narrow-beam aluminium HVL (cm) of photons of ``energy`` (MeV) with fluence ``weight``."""
    from .. import physics
    energy, weight = np.asarray(energy, dtype=float), np.asarray(weight, dtype=float)
    if energy.shape != weight.shape or not energy.size or np.any(energy <= 0) or np.any(weight < 0) \
            or not weight.sum() > 0:
        raise InputError("beam quality: energies must be > 0 MeV and weights >= 0, not all 0, of the same length")
    al, air = physics.tables("aluminium"), physics.tables("air")
    mu = np.array([al.mu_over_rho(e) for e in energy]) * ALUMINIUM_DENSITY
    kerma = weight * energy * np.array([air.mu_en_over_rho(e) for e in energy])
    return float(brentq(lambda t: np.sum(kerma * np.exp(-mu * t)) - 0.5 * kerma.sum(), 0.0, 50.0 / mu.min()))


def effective_energy(hvl_cm: float, low: float = 0.002, high: float = 0.3) -> float:
    """The photon energy (MeV) whose aluminium HVL is ``hvl_cm`` (searched between low and high MeV)."""
    from .. import physics
    al = physics.tables("aluminium")
    return float(brentq(lambda e: al.mu_over_rho(e) * ALUMINIUM_DENSITY - np.log(2.0) / hvl_cm, low, high))
