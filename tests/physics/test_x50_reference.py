"""50 keV isotropic point source in water against EGSnrc (DOSRZnrc), benchmarks/reference/X50.csv.

Same problem as the reference: water cylinder r = 10 cm, length 20 cm in vacuum, the source at
its centre, dose in the mid-plane slab |z| < 0.05 cm in the same annuli, photon cut-off 10 keV.
Secondary electrons (<= 50 keV, range < 0.05 mm) deposit locally; mcdose scores with the
track-length estimator.

Checks (issue 5): r^2 D normalised at r = 1 cm within 2 % from 0.5 to 5 cm, and the absolute dose
per emitted photon within 3 % in the 0.9-1.0 cm annulus. To keep the statistical part of the 2 %
small, both curves are compared in groups of adjacent annuli (0.5 cm wide; 1 cm beyond 3 cm):
the group ratios carry about 0.3-0.5 % (1 sigma, mcdose and EGSnrc combined), so 2 % is about
3 sigma plus 0.5-1 % of systematic allowance (cross-section data, binding effects in Compton
scattering, EGSnrc's point source being a 0.005 cm cylinder).
"""
import csv
from pathlib import Path

import numpy as np
import pytest

import mcdose

REFERENCE = Path(__file__).resolve().parents[2] / "benchmarks" / "reference" / "X50.csv"
GROUPS = [(0.5, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, 3.0), (3.0, 4.0), (4.0, 5.0)]
NORMALISATION = (0.8, 1.2)


def reference():
    rows = list(csv.DictReader(line for line in open(REFERENCE) if not line.startswith("#")))
    lo = np.array([float(r["r_cm_lo"]) for r in rows])
    hi = np.array([float(r["r_cm_hi"]) for r in rows])
    dose = np.array([float(r["dose_Gy_per_emitted_photon"]) for r in rows])
    unc = np.array([float(r["rel_unc"]) for r in rows])
    return lo, hi, dose, unc


def config(histories: int) -> dict:
    lo, hi, _, _ = reference()
    return {
        "run": {"histories": histories, "batches": 10, "seed": 2024},
        "source": {"type": "point", "particle": "photon", "energy": 0.05, "position": [0.0, 0.0, 10.0]},
        "phantom": {"type": "cylinder", "material": "water", "radius": 10.0, "length": 20.0},
        "scoring": {"mesh": "cylindrical", "r_edges": [float(lo[0])] + [float(h) for h in hi],
                    "z_edges": [9.95, 10.05], "estimator": "tracklength"},
        "physics": {"photon_cutoff": 0.010, "electrons": "local"},
    }


def group(lo, hi, dose, unc, r0, r1):
    """Area-weighted mean dose of the annuli in [r0, r1) and its relative 1-sigma uncertainty."""
    sel = (lo >= r0 - 1e-9) & (hi <= r1 + 1e-9)
    area = hi[sel] ** 2 - lo[sel] ** 2
    mean = np.sum(area * dose[sel]) / area.sum()
    return mean, np.sqrt(np.sum((area * dose[sel] * unc[sel]) ** 2)) / (area.sum() * mean)


@pytest.fixture(scope="module")
def x50():
    return mcdose.run(config(1_000_000))


def test_radial_dose_shape_matches_egsnrc(x50):
    lo, hi, ref_dose, ref_unc = reference()
    ours, our_unc = x50.dose[:, 0], x50.uncertainty[:, 0]

    def ratio(r0, r1):
        a, ua = group(lo, hi, ours, our_unc, r0, r1)
        b, ub = group(lo, hi, ref_dose, ref_unc, r0, r1)
        return a / b, np.hypot(ua, ub)

    norm, norm_unc = ratio(*NORMALISATION)
    for r0, r1 in GROUPS:
        value, unc = ratio(r0, r1)
        rel = value / norm
        assert abs(rel - 1) < 0.02, f"r {r0}-{r1} cm: r^2 D / reference = {rel:.4f} (1 sigma {np.hypot(unc, norm_unc):.4f})"


def test_absolute_dose_at_1_cm_matches_egsnrc(x50):
    lo, _, ref_dose, ref_unc = reference()
    i = int(np.argmin(np.abs(lo - 0.9)))
    ours = x50.dose[i, 0]
    assert ours == pytest.approx(ref_dose[i], rel=0.03), (ours, ref_dose[i], x50.uncertainty[i, 0], ref_unc[i])
    assert x50.metadata["lost_particles"] == 0


def test_energy_is_conserved(x50):
    md = x50.metadata
    balance = md["energy_deposited_MeV_per_particle"] + md["energy_escaped_MeV_per_particle"]
    assert balance == pytest.approx(md["energy_emitted_MeV_per_particle"], rel=1e-9)
    assert md["energy_emitted_MeV_per_particle"] == pytest.approx(0.05, rel=1e-9)   # 2^-36 MeV units
