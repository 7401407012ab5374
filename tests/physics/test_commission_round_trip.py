"""Issue 20's round trip (slow, ~55 min on 2 cores): curves synthesised by mcdose from a known Mobetron-type
9 MeV beam for three applicators, with 0.5 % noise and +-0.5 mm positioning errors, are fitted back.

Criteria (issue 20): R50 of the fitted beam's verification run within 0.5 mm of the true beam's on every
applicator (allowance 0.5 mm + 3 sigma of the two runs' R50, the statistical part only measuring the noise of
this check); the mean energy within 2 %; the energy spread within 2 of its reported 1-sigma."""
import math

import pytest

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip

pytestmark = pytest.mark.slow

REFINE_HISTORIES = 50_000

# Measured 2026-12-04 (kernels 1e4 histories, then the 42 kernels the first fit used at 5e4; kernels 2212 s on 2
# cores, fit 22 s, verification 135 s): mean 9.67 +- 0.08 MeV (truth 9.5: +1.8 %, the 1-sigma almost all from
# the kernels), energy FWHM and angular spread held as undetermined, verification R50 -0.7 / +0.6 / -0.4 mm from
# the truth (4 / 6 / 10 cm). Without the second pass (1e4 only): 9.86 +- 0.10 MeV, R50 -0.2 / +1.4 / +1.4 mm.
# Fails on the energy FWHM, which these curves do not determine at this kernel statistics.
XFAIL = pytest.mark.xfail(strict=True, reason="energy FWHM held as undetermined (see above); open in issue 20")


@XFAIL
def test_round_trip_recovers_the_known_beam(tmp_path):
    rt = round_trip("mobetron", 9.0, TRUTH, SETUPS, SHIFTS_CM, tmp_path, log=lambda line: None,
                    refine_histories=REFINE_HISTORIES)
    fit = rt.commissioning.fit
    print(rt.table())
    for setup, (true, _, fitted) in rt.r50.items():
        assert abs(fitted.value - true.value) <= 0.05 + 3 * math.hypot(fitted.sigma, true.sigma), setup.label
    assert abs(fit.values["mean_energy"] - TRUTH["mean_energy"]) <= 0.02 * TRUTH["mean_energy"]
    assert "energy_fwhm" in fit.free
    assert abs(fit.values["energy_fwhm"] - TRUTH["energy_fwhm"]) <= 2 * fit.sigma["energy_fwhm"]
