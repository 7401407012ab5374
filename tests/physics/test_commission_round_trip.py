"""Issue 20's round trip (slow, ~65 min on 2 cores): curves synthesised by mcdose from a known Mobetron-type
9 MeV beam for three applicators, with 0.5 % noise and +-0.5 mm positioning errors, are fitted back.

Criteria (issue 20): R50 of the fitted beam's verification run within 0.5 mm of the true beam's on every
applicator (allowance 0.5 mm + 3 sigma of the two runs' R50, the statistical part only measuring the noise of
this check); the mean energy within 2 %; the energy spread fitted (not held, not at its range limit) and
within 2 of its reported 1-sigma; the angular spread (a free parameter of the same fit) within 3 of its 1-sigma."""
import math

import pytest

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip

pytestmark = pytest.mark.slow

REFINE_HISTORIES = 200_000

# Measured 2026-12-05 (kernels 1e4, then the 105 the first fit used at 2e5, every run with the set-ups' geometric
# importance, commission/kernels.IMPORTANCE; 64 min on 2 cores, fit 11 s): mean 9.527 +- 0.018 MeV, FWHM 0.837 +-
# 0.042 MeV, angular spread 0.67 +- 0.11 deg; R50 of the verification runs -0.013, +0.054, +0.023 cm from the
# truth's (4, 6, 10 cm; each run's R50 sigma 0.2-0.4 mm; the 6 cm pair again at 1e6 histories each: +0.023 +-
# 0.012 cm). History: with analog kernels at 5e4 the FWHM was held as undetermined (1-sigma 63 % of
# its range) and, before the fit's noise correction, pulled to its range limit.


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
