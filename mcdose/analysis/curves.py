"""Input checks shared by the curve analyses: 1-D, equal length, >= 5 finite points, increasing positions."""
import numpy as np

from mcdose.errors import InputError


def validated_curve(position_cm, dose, position_name: str, what: str) -> tuple:
    """(positions cm, dose) as float arrays, or InputError naming the field."""
    x = np.asarray(position_cm, dtype=float)
    d = np.asarray(dose, dtype=float)
    if x.ndim != 1 or d.ndim != 1 or x.size != d.size:
        raise InputError(f"{position_name} and dose must be 1-D of equal length (got shapes {x.shape}, {d.shape})")
    if x.size < 5:
        raise InputError(f"{what} needs at least 5 points (got {x.size})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
        raise InputError(f"{position_name} and dose must be finite (NaN or inf found)")
    if np.any(np.diff(x) <= 0):
        raise InputError(f"{position_name} must be strictly increasing")
    return x, d
