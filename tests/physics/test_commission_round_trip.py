"""Issue 20's round trip (slow, ~15 min on 2 cores): curves synthesised by mcdose from a known Mobetron-type
9 MeV beam for three applicators, with 0.5 % noise and +-0.5 mm positioning errors, are fitted back.

Criteria (issue 20): R50 of the fitted beam's verification run within 0.5 mm of the true beam's on every
applicator (allowance 0.5 mm + 3 sigma of the two runs' R50, the statistical part only measuring the noise of
this check); the mean energy within 2 %; the energy spread within 2 of its reported 1-sigma."""
import math

import pytest

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip

pytestmark = pytest.mark.slow

# Measured 2026-12-04 (kernels 1e4 histories): fitted mean 9.35 MeV (truth 9.5), FWHM held, verification R50
# 1.5-2.3 mm deeper than the truth. Cause found: the random-hinge step crosses the head's thin window and foil
# undeflected with probability 1 - thickness/step (76 % of 9 MeV electrons pass the 25 um window unscattered),
# so the Mobetron-type beam has a central spike whose dose depends steeply on angular_sigma and the quadratic
# spread interpolation fails. A per-part maximum step (PENELOPE's DSMAX) is the fix; not landed yet.
XFAIL = pytest.mark.xfail(strict=True, reason="thin head layers crossed undeflected (see above); open in issue 20")


@XFAIL
def test_round_trip_recovers_the_known_beam(tmp_path):
    rt = round_trip("mobetron", 9.0, TRUTH, SETUPS, SHIFTS_CM, tmp_path, log=lambda line: None)
    fit = rt.commissioning.fit
    print(rt.table())
    for setup, (true, _, fitted) in rt.r50.items():
        assert abs(fitted.value - true.value) <= 0.05 + 3 * math.hypot(fitted.sigma, true.sigma), setup.label
    assert abs(fit.values["mean_energy"] - TRUTH["mean_energy"]) <= 0.02 * TRUTH["mean_energy"]
    assert "energy_fwhm" in fit.free
    assert abs(fit.values["energy_fwhm"] - TRUTH["energy_fwhm"]) <= 2 * fit.sigma["energy_fwhm"]
