"""Physics tables against every row of the NIST reference file (ESTAR, XCOM / NISTIR 5632), nist_reference.csv
of mcdose.reference.

Tolerances (issue 3, mcdose.bench.nist.TOLERANCE): collision stopping power 0.5 %, radiative stopping power
5 %, CSDA range 1 %, mu/rho 2 %, mu_en/rho 3 %. The tables are deterministic, so these are systematic
allowances for the models (documented in each module).
"""
import pytest

import mcdose.physics
from mcdose.bench.nist import TOLERANCE, evaluate, load

ROWS = load("nist_reference.csv")


def test_reference_file_is_complete():
    assert len(ROWS) == 44
    assert {r["quantity"] for r in ROWS} == set(TOLERANCE)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['material']}-{r['quantity']}-{r['energy_MeV']:g}MeV" for r in ROWS])
def test_against_nist(row):
    value, tolerance = evaluate(mcdose.physics.tables(row["material"]), row["quantity"], row["energy_MeV"])
    assert tolerance == TOLERANCE[row["quantity"]]
    assert value == pytest.approx(row["value"], rel=tolerance)
