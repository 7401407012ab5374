"""Issue 20's round trip (slow, ~55 min on 2 cores): curves synthesised by mcdose from a known Mobetron-type
9 MeV beam for three applicators, with 0.5 % noise and +-0.5 mm positioning errors, are fitted back.

Criteria (issue 20): R50 of the fitted beam's verification run within 0.5 mm of the true beam's on every
applicator (allowance 0.5 mm + 3 sigma of the two runs' R50, the statistical part only measuring the noise of
this check); the mean energy within 2 %; the energy spread fitted (not held, not at its range limit) and
within 2 of its reported 1-sigma; the angular spread (a free parameter of the same fit) within 3 of its 1-sigma."""
import math

import pytest

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip

pytestmark = pytest.mark.slow

REFINE_HISTORIES = 50_000

# Measured 2026-12-04 (session 11: kernels 1e4, then the 39 the first fit used at 5e4): mean 9.531 +- 0.048 MeV,
# energy FWHM 0.92 +- 0.08 MeV at its range limit (truth 0.8), angular spread 0.34 +- 0.02 deg (truth 0.5):
# least squares chose the beams whose weights average the kernels' noise most. With the noise correction
# (fit.py, 2026-12-05), refitting the same kernels: mean 9.51 +- 0.12 MeV, FWHM held as undetermined (its
# 1-sigma 63 % of its range), angular spread 0.39 +- 0.30 deg; with every parameter free 9.54 +- 0.11 MeV,
# FWHM 0.0 +- 0.58 MeV, 0.49 +- 0.23 deg. The pull is gone; what is left is the kernels' noise (4-7 % per
# 1-mm slab at 5e4 histories against the measurement's 0.5 %), which the reported 1-sigma now carries: the
# spreads need kernels about as precise as the measurement.
XFAIL = pytest.mark.xfail(strict=True, reason="the kernels' statistics leave the energy FWHM undetermined (held); "
                                              "see above; open in issue 20")


@XFAIL
def test_round_trip_recovers_the_known_beam(tmp_path):
    rt = round_trip("mobetron", 9.0, TRUTH, SETUPS, SHIFTS_CM, tmp_path, log=lambda line: None,
                    refine_histories=REFINE_HISTORIES)
    fit = rt.commissioning.fit
    print(rt.table())
    for setup, (true, _, fitted) in rt.r50.items():
        assert abs(fitted.value - true.value) <= 0.05 + 3 * math.hypot(fitted.sigma, true.sigma), setup.label
    assert abs(fit.values["mean_energy"] - TRUTH["mean_energy"]) <= 0.02 * TRUTH["mean_energy"]
    assert "energy_fwhm" in fit.free and not any("energy_fwhm =" in w and "edge" in w for w in fit.warnings)
    assert abs(fit.values["energy_fwhm"] - TRUTH["energy_fwhm"]) <= 2 * fit.sigma["energy_fwhm"]
    assert abs(fit.values["angular_sigma"] - TRUTH["angular_sigma"]) <= 3 * fit.sigma["angular_sigma"]
