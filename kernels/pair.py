"""Screening functions of the pair-production DCS, shared by the data tables and the sampler.

Exponentially screened Bethe-Heitler DCS (Baró et al., Radiat. Phys. Chem. 44 (1994) 531;
PENELOPE-2008 manual, NEA 6416, sec. 2.4.1), b = R / (2 kappa eps (1 - eps)), R the screening
radius in units of hbar/(m c):
    f1(b) = 2 - 2 ln(1 + b^2) - 4 b atan(1/b)
    f2(b) = 4/3 - 2 ln(1 + b^2) + 2 b^2 (4 - 4 b atan(1/b) - 3 ln(1 + 1/b^2))
Works on scalars (kernels) and arrays (table building).
"""
import numpy as np

from ._jit import jit


@jit(refcount=True)
def screening_functions(b):
    """(f1, f2) of the screened pair DCS at reduced screening b (> 0)."""
    bat = b * np.arctan(1.0 / b)
    log_b = np.log1p(b * b)
    f1 = 2.0 - 2.0 * log_b - 4.0 * bat
    f2 = 4.0 / 3.0 - 2.0 * log_b + 2.0 * b * b * (4.0 - 4.0 * bat - 3.0 * np.log1p(1.0 / (b * b)))
    return f1, f2
