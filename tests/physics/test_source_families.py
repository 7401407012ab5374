"""Weighted sources and point-source cones verified against exact relations (fixed seeds).

* Weights: a history's random walk does not depend on its weight, so with the same seed a source of
  weight w gives w times the dose of weight 1 with the same relative uncertainty, and the weighted
  energy balance closes. Only the fixed-point rounding differs: at most (1 + w)/2 units of 2**-36 MeV
  per deposit (below 1e-8 of the dose here; the tolerance is 1e-6, far below any statistical error).
* Cones: an isotropic point source emits into a cone of half angle a with probability
  (1 - cos a) / 2, uniformly per solid angle within it. With the source in vacuum and the phantom
  entirely inside the cone, particles emitted outside it never meet matter, so the dose per
  isotropic particle equals (1 - cos a) / 2 times the dose per cone particle, in expectation, in
  every bin.
"""
import math

import numpy as np
import pytest

import mcdose
from mcdose.kernels.codes import MEC2

K_SIGMA = 3.0
WEIGHTS = (2.0, 0.37)            # a power of two (exact products) and a weight that rounds
RTOL = 1e-6                      # fixed-point rounding (module docstring)
QUANTUM = 2.0 ** -36             # MeV: the emitted energy per history is rounded to it
CYLINDER = {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 3.0], "z": {"min": 0.0, "max": 4.0, "step": 0.5}}

CASES = {
    # photoelectric + fluorescence (lead), Compton, pair, annihilation; electrons transported
    "photon": {"run": {"histories": 2000, "batches": 4, "seed": 11},
               "source": {"type": "beam", "particle": "photon", "energy": 3.0, "shape": "circle", "radius": 1.0},
               "phantom": {"type": "slabs", "size": [20.0, 20.0], "layers": [
                   {"material": "water", "thickness": 1.0}, {"material": "lead", "thickness": 0.5},
                   {"material": "water", "thickness": 2.5}]},
               "scoring": CYLINDER},
    # Moller delta rays, bremsstrahlung, escape
    "electron": {"run": {"histories": 2000, "batches": 4, "seed": 12},
                 "source": {"type": "beam", "particle": "electron", "energy": 6.0, "shape": "circle", "radius": 1.0},
                 "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 4.0]},
                 "scoring": CYLINDER},
    # Bhabha, annihilation in flight and at rest
    "positron": {"run": {"histories": 2000, "batches": 4, "seed": 13},
                 "source": {"type": "beam", "particle": "positron", "energy": 2.0, "shape": "circle", "radius": 1.0},
                 "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 4.0]},
                 "scoring": CYLINDER},
    # track-length kerma
    "photon-tracklength": {"run": {"histories": 20000, "batches": 4, "seed": 14},
                           "source": {"type": "point", "particle": "photon", "energy": 0.05,
                                      "position": [0.0, 0.0, 2.0]},
                           "phantom": {"type": "box", "material": "water", "size": [10.0, 10.0, 4.0]},
                           "scoring": {"mesh": "spherical", "r_edges": [0.0, 0.5, 1.0, 2.0], "center": [0.0, 0.0, 2.0],
                                       "estimator": "tracklength"}},
}


def _weighted(cfg, weight):
    return {**cfg, "source": {**cfg["source"], "weight": weight}}


@pytest.mark.parametrize("case", list(CASES))
def test_weight_scales_the_dose_and_keeps_its_relative_uncertainty(case):
    """Weight w: w times the dose of weight 1 and the same relative uncertainty (same seed); emitted =
    w E per particle and emitted = deposited + escaped + lost to 1e-9."""
    cfg = CASES[case]
    one = mcdose.run(cfg, threads=1)
    assert one.dose.max() > 0
    scored = one.dose > 1e-3 * one.dose.max()
    rest = 2 * MEC2 if cfg["source"]["particle"] == "positron" else 0.0
    for weight in WEIGHTS:
        res = mcdose.run(_weighted(cfg, weight), threads=1)
        np.testing.assert_allclose(res.dose, weight * one.dose, rtol=RTOL, atol=RTOL * weight * one.dose.max())
        np.testing.assert_allclose(res.uncertainty[scored], one.uncertainty[scored], rtol=RTOL)
        md = res.metadata
        assert md["energy_emitted_MeV_per_particle"] == pytest.approx(weight * (cfg["source"]["energy"] + rest),
                                                                      rel=0, abs=QUANTUM)
        balance = (md["energy_deposited_MeV_per_particle"] + md["energy_escaped_MeV_per_particle"]
                   + md["energy_lost_MeV_per_particle"])
        assert balance == pytest.approx(md["energy_emitted_MeV_per_particle"], rel=1e-9)
        assert md["lost_particles"] == 0


HALF_ANGLE = 20.0
SOURCE_Z = -4.0          # cm above the phantom's top face z = 0
CONE_CONFIG = {
    "run": {"histories": 40_000, "batches": 10, "seed": 21},
    "source": {"type": "point", "particle": "photon", "energy": 0.5, "position": [0.0, 0.0, SOURCE_Z],
               "direction": [0.0, 0.0, 1.0], "half_angle": HALF_ANGLE},
    # 2 x 2 x 2 cm water; its widest ray, to a top corner, is atan(sqrt(2) / 4) = 19.47 deg off axis
    "phantom": {"type": "box", "material": "water", "size": [2.0, 2.0, 2.0]},
    "scoring": {"mesh": "cartesian", "x_edges": [-1.0, 0.0, 1.0], "y_edges": [-1.0, 1.0],
                "z_edges": [0.0, 0.5, 1.0, 2.0], "estimator": "tracklength"},
}


def test_cone_equals_the_isotropic_source_inside_the_cone():
    """dose(isotropic) = (1 - cos a)/2 dose(cone) in every bin within K_SIGMA combined sigma + 1e-6
    (the cone's sampling is exact: rounding only); the isotropic run has 1/p times the histories."""
    corner = math.degrees(math.atan(math.sqrt(2.0) / -SOURCE_Z))
    assert corner < HALF_ANGLE                           # the phantom lies inside the cone
    p = (1.0 - math.cos(math.radians(HALF_ANGLE))) / 2.0
    cone = mcdose.run(CONE_CONFIG)
    src = {k: v for k, v in CONE_CONFIG["source"].items() if k not in ("direction", "half_angle")}
    iso = mcdose.run({**CONE_CONFIG, "source": src, "run": {**CONE_CONFIG["run"], "histories": round(40_000 / p),
                                                             "seed": 22}})
    expected = p * cone.dose
    sigma = np.hypot(expected * cone.uncertainty, iso.dose * iso.uncertainty)
    assert np.all(expected > 0) and np.all(cone.uncertainty < 0.05)
    diff = np.abs(iso.dose - expected)
    assert np.all(diff <= K_SIGMA * sigma + 1e-6 * expected), (diff / sigma, iso.dose / expected)


PRIMARIES = 3


@pytest.mark.parametrize("case", ["photon", "positron"])
def test_primaries_per_history_multiply_the_dose_per_history(case):
    """source.primaries_per_history = k: k times the dose per history of k = 1 in every scored bin within
    K_SIGMA + 1 combined sigma (independent seeds, 20 batches), relative uncertainties about 1/sqrt(k)
    as large; emitted = k (E + rest) per history and emitted = deposited + escaped + lost."""
    cfg = {**CASES[case], "run": {**CASES[case]["run"], "batches": 20}}
    one = mcdose.run(cfg, threads=1)
    many = mcdose.run({**cfg, "source": {**cfg["source"], "primaries_per_history": PRIMARIES},
                       "run": {**cfg["run"], "seed": cfg["run"]["seed"] + 100}}, threads=1)
    scored = one.dose > 1e-2 * one.dose.max()
    expected = PRIMARIES * one.dose
    sigma = np.hypot(expected * one.uncertainty, many.dose * many.uncertainty)
    assert np.all(np.abs(many.dose - expected)[scored] <= (K_SIGMA + 1) * sigma[scored]), \
        ((many.dose - expected) / sigma)[scored]
    ratio = np.median(many.uncertainty[scored] / one.uncertainty[scored])
    assert 0.45 < ratio < 0.72, ratio                        # 1 / sqrt(3) = 0.577
    md = many.metadata
    rest = 2 * MEC2 if cfg["source"]["particle"] == "positron" else 0.0
    assert md["energy_emitted_MeV_per_particle"] == pytest.approx(PRIMARIES * (cfg["source"]["energy"] + rest),
                                                                  rel=0, abs=PRIMARIES * QUANTUM)
    balance = (md["energy_deposited_MeV_per_particle"] + md["energy_escaped_MeV_per_particle"]
               + md["energy_lost_MeV_per_particle"])
    assert balance == pytest.approx(md["energy_emitted_MeV_per_particle"], rel=1e-9)
    assert md["lost_particles"] == 0
