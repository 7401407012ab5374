"""IOERT physics of the machine library: the soft-dock air gap follows the inverse square law.

The dose at dmax on the axis (r < 2 cm, parabola-fitted Dmax) of the Mobetron-type 9 MeV beam with the
10-cm applicator, for an air gap g between head and applicator, against (d0 / (d0 + g))^2 with d0 the
distance from the virtual source (the exit window, the machine having no divergence point of its own)
to dmax. Issue 15 allows 2 %; the test's tolerance is that plus 3 combined sigma. CI runs g = 3 cm
(the inverse-square fall is 11 %), the slow set 1, 2 and 3 cm at four times the histories.
"""
import math
import sys
from pathlib import Path

import pytest

import mcdose
from mcdose import machines
from mcdose.analysis import pdd_metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # benchmarks/ is not an installed package

from benchmarks.ioert_machines import axis, ioert, water_run  # noqa: E402

ALLOWANCE, K_SIGMA = 0.02, 3.0


def dmax_dose(gap, histories):
    result = mcdose.run(water_run(ioert("mobetron", 9.0, docking="soft", air_gap=gap), histories, 4.0, r_max=2.0))
    return pdd_metrics(*axis(result))


def check_inverse_square(gaps, histories):
    m = machines.load("mobetron")
    base = dmax_dose(0.0, histories)
    d0 = m.applicator_top + m.applicators.length + m.energy(9.0).virtual_source_distance + base.dmax_cm.value
    for gap in gaps:
        p = dmax_dose(gap, histories)
        ratio = p.d_max.value / base.d_max.value
        sigma = ratio * math.hypot(p.d_max.sigma / p.d_max.value, base.d_max.sigma / base.d_max.value)
        expected = (d0 / (d0 + gap)) ** 2
        assert abs(ratio / expected - 1.0) <= ALLOWANCE + K_SIGMA * sigma, \
            f"gap {gap} cm: D/D0 = {ratio:.4f} +- {sigma:.4f}, inverse square {expected:.4f}"


def test_soft_dock_gap_follows_the_inverse_square_law():
    check_inverse_square([3.0], 150_000)


@pytest.mark.slow
def test_soft_dock_gaps_follow_the_inverse_square_law_high_statistics():
    check_inverse_square([1.0, 2.0, 3.0], 600_000)
