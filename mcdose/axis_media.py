"""Material boundaries along a curve's axis: the z axis (x = y = 0) of a depth dose, or the +x ray from the
centre of a spherical mesh's radial dose. The beam-metric rules (mcdose.analysis.depth_dose) and the figures
(interfaces on depth doses, applicator and cavity surfaces on radial doses) use them. Boundaries are located by
the navigation kernel's own point location (Geometry.material_codes), sampled every 0.1 mm and refined by
bisection to 1e-6 cm; layers thinner than 0.1 mm may be missed.
"""
from __future__ import annotations

import numpy as np

from .analysis.curves import Interface

SAMPLE_STEP_CM = 0.01
TOLERANCE_CM = 1e-6


def ray_interfaces(geometry, origin, direction, t_min: float, t_max: float) -> tuple:
    """Interfaces (mcdose.analysis.curves.Interface, position = distance t along the ray, cm) on the ray
    origin + t direction for t_min <= t <= t_max, in order; `above` is the material at smaller t."""
    origin, direction = np.asarray(origin, dtype=float), np.asarray(direction, dtype=float)

    def codes(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return geometry.material_codes(origin[None, :] + t[:, None] * direction[None, :])

    t = np.linspace(t_min, t_max, max(int(np.ceil((t_max - t_min) / SAMPLE_STEP_CM)), 1) + 1)
    c = codes(t)
    out = []
    for i in np.nonzero(c[1:] != c[:-1])[0]:
        lo, hi = t[i], t[i + 1]
        while hi - lo > TOLERANCE_CM:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if codes(mid)[0] == c[i] else (lo, mid)
        out.append(Interface(float(0.5 * (lo + hi)), geometry.material_name(int(c[i])),
                             geometry.material_name(int(c[i + 1]))))
    return tuple(out)


def result_geometry(result):
    """The scene (mcdose.geometry.Geometry) a result was computed in, rebuilt from its stored configuration;
    None when it stores none. InputError/OSError when it cannot be rebuilt (e.g. a machine file moved)."""
    from .analysis.run_info import result_spec
    from .phantoms import from_spec
    spec = result_spec(result)
    return None if spec is None else from_spec(spec)
