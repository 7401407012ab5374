"""Issue 20's round trip (slow, ~15 min on 2 cores): curves synthesised by mcdose from a known Mobetron-type
9 MeV beam for three applicators, with 0.5 % noise and +-0.5 mm positioning errors, are fitted back.

Criteria (issue 20): R50 of the fitted beam's verification run within 0.5 mm of the true beam's on every
applicator (allowance 0.5 mm + 3 sigma of the two runs' R50, the statistical part only measuring the noise of
this check); the mean energy within 2 %; the energy spread within 2 of its reported 1-sigma."""
import math

import pytest

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip

pytestmark = pytest.mark.slow

# Measured 2026-12-04 with the thin-layer step cap (kernels 1e4 histories, 929 s; fit 6 s; verification 164 s):
# fitted mean 9.86 +- 0.10 MeV (truth 9.5; the 1-sigma almost all from the kernels' statistics), FWHM held,
# angular sigma 0.53 +- 0.10; verification R50 -0.2 / +1.4 / +1.4 mm from the truth (4 / 6 / 10 cm). The
# kernels limit it: at 1e4 histories the single-energy kernels' R50 on the axis scatter by 2-3 mm from node
# to node, and their superposition at the true beam misses the true R50 by 0.6-4 mm. Passing needs about 1e5-1e6
# histories per kernel (hours on 2 cores), or kernels concentrated on the nodes the fit uses.
XFAIL = pytest.mark.xfail(strict=True, reason="kernel statistics at 1e4 histories limit the fit (see above); open in issue 20")


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
