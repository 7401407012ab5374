"""IOERT physics of the machine library: the soft-dock air gap follows the inverse square law.

The dose at dmax on the axis (r < 2 cm, parabola-fitted Dmax) of the Mobetron-type 9 MeV beam with the
10-cm applicator, for air gaps g between head and applicator. The virtual source is found as a
physicist finds it (the effective-SSD method of AAPM TG-25, Khan et al., Med. Phys. 18 (1991) 73):
sqrt(D(0) / D(g)) = 1 + g / S, S the distance from the virtual source to dmax, fitted by least squares
through the origin. Then every gap must follow (S / (S + g))^2 within issue 15's 2 % plus 3 combined
sigma, and S must lie between 0.9 and 2 times the geometric distance d0 from the exit window to dmax
(a gap that moved nothing would give S = infinity, a gap counted twice S ~ d0 / 2). This generic head
sends most electrons onto the applicator wall, so S exceeds d0 (about 1.6 d0 over r < 2 cm): the inverse square from
the window itself is off by ~4 % at 3 cm, which the README and benchmarks/ioert_machines.py report.
CI runs g = 1.5 and 3 cm; the slow set 1, 2, 3 cm at four times the histories.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import mcdose
from mcdose import machines
from mcdose.analysis import pdd_metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # benchmarks/ is not an installed package

from benchmarks.ioert_machines import axis, ioert, water_run  # noqa: E402

ALLOWANCE, K_SIGMA = 0.02, 3.0
S_RANGE = (0.9, 2.0)    # effective distance / geometric distance from the window


def dmax_dose(gap, histories):
    result = mcdose.run(water_run(ioert("mobetron", 9.0, docking="soft", air_gap=gap), histories, 4.0, r_max=2.0))
    return pdd_metrics(*axis(result)).d_max


def check_inverse_square(gaps, histories):
    m = machines.load("mobetron")
    base = dmax_dose(0.0, histories)
    doses = [dmax_dose(g, histories) for g in gaps]
    ratios = np.array([d.value / base.value for d in doses])
    sigmas = ratios * np.array([math.hypot(d.sigma / d.value, base.sigma / base.value) for d in doses])
    g = np.array(gaps)
    s = np.sum(g * g) / np.sum(g * (np.sqrt(1.0 / ratios) - 1.0))       # cm, virtual source to dmax
    expected = (s / (s + g)) ** 2
    assert np.all(np.abs(ratios / expected - 1.0) <= ALLOWANCE + K_SIGMA * sigmas), \
        f"D/D0 {ratios} +- {sigmas} against the inverse square {expected} (S = {s:.1f} cm)"
    d0 = m.applicator_top + m.applicators.length + 1.0                  # window to dmax (~1 cm), cm
    assert S_RANGE[0] * d0 <= s <= S_RANGE[1] * d0, f"effective source {s:.1f} cm from dmax; geometric {d0:.1f} cm"


def test_soft_dock_gaps_follow_the_inverse_square_law():
    check_inverse_square([1.5, 3.0], 150_000)


@pytest.mark.slow
def test_soft_dock_gaps_follow_the_inverse_square_law_high_statistics():
    check_inverse_square([1.0, 2.0, 3.0], 600_000)
