"""6 and 9 MeV electron beams in water and the 9 MeV IOERT applicator APP9 (a cone point source through a
10-cm PMMA tube, built by the ioert family's applicator builder) against EGSnrc (DOSRZnrc),
benchmarks/reference/E6.csv, E9.csv and APP9.csv; APP9 adds the surface dose (3 % of Dmax) and the
3-4 and 4-5 cm ring ratios at the surface and over the dmax plateau (3 %).

The problem, the mcdose configuration and every issue-6 criterion live in mcdose.bench.egsnrc_electrons
(`config`, `compare`); each criterion passes when |difference| <= allowance + 3 sigma (mcdose and
EGSnrc 1-sigma combined). The allowances (2 % of Dmax on axis to R50, 2 % absolute Dmax, 1 mm
for R90/R80/R50/Rp, 10 % bremsstrahlung tail, 3 % of Dmax in the 4-5 and 5-6 cm annuli) are the
systematic part; energy conservation is checked exactly.

CI size: E6 4e5 and E9 3e5 histories, about 60-120 s each on one core if mcdose costs what EGSnrc
does (190 / 286 us per history on this machine); mcdose's uncertainties are then about 2.2-2.4x
EGSnrc's and the tolerances 0.12-0.19 cm on the ranges and 3.7-3.9 % on the absolute dose
(tests/unit/test_egsnrc_compare.py shows a 1.5 mm shift fails R50 there). The slow version runs
twice EGSnrc's histories (tolerances 0.11-0.14 cm and 2.9 %, so a 3 % dose error fails).
"""
import pytest

import mcdose
from mcdose.bench.egsnrc_electrons import CASES, compare, config


@pytest.mark.parametrize("case", CASES)
def test_electron_beam_matches_egsnrc(case):
    comparison = compare(mcdose.run(config(case, CASES[case].ci_histories)), case)
    assert comparison.passes, "\n" + comparison.table()


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_electron_beam_matches_egsnrc_high_statistics(case):
    comparison = compare(mcdose.run(config(case, CASES[case].slow_histories, batches=40)), case)
    assert comparison.passes, "\n" + comparison.table()
