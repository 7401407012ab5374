"""Two-photon annihilation of positrons in flight.

Units: positron kinetic energy T in MeV; cross sections per unit mass in cm^2/g.

Heitler's cross section per free electron at rest (W. Heitler, The Quantum
Theory of Radiation, 3rd ed., Oxford 1954, sec. 26, eq. 9; also EGSnrc manual
PIRS-701 sec. 2.11 and the PENELOPE-2018 manual sec. 3.4, eq. 3.181):

    sigma = pi r_e^2 / (gamma + 1) * [ (gamma^2 + 4 gamma + 1)/(gamma^2 - 1) ln(gamma + sqrt(gamma^2 - 1))
                                      - (gamma + 3)/sqrt(gamma^2 - 1) ],

gamma = 1 + T / (m c^2); it tends to pi r_e^2 c/v as T -> 0. Multiplied by the
electrons per gram of the material (binding neglected, as in both codes).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..materials import Material
from .constants import CLASSICAL_ELECTRON_RADIUS_CM, ELECTRON_MASS_MEV

__all__ = ["annihilation_cross_section_per_electron", "annihilation_cross_section"]


def annihilation_cross_section_per_electron(T) -> np.ndarray:
    """Heitler two-photon annihilation cross section per electron, cm^2, for positron kinetic energy T (MeV)."""
    T = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(T)) or not np.all(T > 0):
        raise InputError("T: positron kinetic energy must be finite and > 0 MeV")
    g = 1.0 + T / ELECTRON_MASS_MEV
    root = np.sqrt((g - 1.0) * (g + 1.0))
    bracket = (g * g + 4.0 * g + 1.0) / (root * root) * np.arccosh(g) - (g + 3.0) / root
    return np.pi * CLASSICAL_ELECTRON_RADIUS_CM ** 2 / (g + 1.0) * bracket


def annihilation_cross_section(material: Material, T) -> np.ndarray:
    """Two-photon annihilation-in-flight cross section per unit mass, cm^2/g (Heitler x electrons per gram)."""
    return material.electrons_per_gram * annihilation_cross_section_per_electron(T)
