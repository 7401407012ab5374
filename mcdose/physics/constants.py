"""Physical constants: the one source of truth for mcdose physics.

Values are CODATA 2018 (E. Tiesinga, P. J. Mohr, D. B. Newell, B. N. Taylor,
"CODATA recommended values of the fundamental physical constants: 2018",
Rev. Mod. Phys. 93 (2021) 025010). Units: MeV, cm, mol. The constants the kernels
use too (m_e c^2, hbar c) are defined once, in :mod:`mcdose.kernels.codes`.
"""
import math

from ..kernels.codes import HBAR_C_MEV_CM  # noqa: F401  (part of this module's constants)
from ..kernels.codes import MEC2 as ELECTRON_MASS_MEV

CLASSICAL_ELECTRON_RADIUS_CM = 2.8179403262e-13
"""Classical electron radius r_e, cm."""

AVOGADRO_PER_MOL = 6.02214076e23
"""Avogadro constant N_A, 1/mol (exact since the 2019 SI)."""

FINE_STRUCTURE = 7.2973525693e-3
"""Fine-structure constant alpha (dimensionless)."""

TWO_PI_RE2_MEC2_NA = 2.0 * math.pi * CLASSICAL_ELECTRON_RADIUS_CM**2 * ELECTRON_MASS_MEV * AVOGADRO_PER_MOL
"""2 pi r_e^2 m_e c^2 N_A, MeV cm^2/mol (0.153537...): prefactor of the Bethe formula per unit <Z/A>."""

TWO_PI_RE2_MEC2 = 2.0 * math.pi * CLASSICAL_ELECTRON_RADIUS_CM**2 * ELECTRON_MASS_MEV
"""2 pi r_e^2 m_e c^2, MeV cm^2: prefactor of the Moller/Bhabha cross sections per electron."""


def kinematics(T):
    """tau = T/mc^2, gamma and beta^2 of an electron or positron of kinetic energy T (MeV)."""
    tau = T / ELECTRON_MASS_MEV
    gamma = tau + 1.0
    return tau, gamma, tau * (tau + 2.0) / gamma**2
