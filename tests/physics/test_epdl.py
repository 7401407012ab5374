"""EPDL97 reader (mcdose.physics.epdl) against xraylib's independent Scofield tables and its own format rules."""
import importlib.util

import numpy as np
import pytest
import xraylib

from mcdose.errors import InputError
from mcdose.physics import epdl

BARN_TO_CM2_PER_G = 1e-24 * 6.02214076e23


@pytest.mark.parametrize("Z", [1, 8, 13, 29, 74, 79, 82])
def test_photoionization_matches_xraylib_scofield(Z):
    """EPDL97 and xraylib both tabulate Scofield's 1973 photoionization below 1 MeV: 0.5 % (their interpolation
    grids differ; measured 0.997-1.004 at 0.1, 0.5 and 0.8 MeV)."""
    E = np.array([0.1, 0.2, 0.5, 0.8])
    got = epdl.integrated_cross_section(epdl.PHOTOIONIZATION, Z, E) * BARN_TO_CM2_PER_G / xraylib.AtomicWeight(Z)
    ref = [xraylib.CS_Photo(Z, 1e3 * e) for e in E]
    assert got == pytest.approx(ref, rel=0.005)


def test_photoionization_edges_and_threshold():
    """Zero below the first tabulated energy (1 eV); the lead K edge (88.3 keV) multiplies the cross section by ~5."""
    assert epdl.integrated_cross_section(epdl.PHOTOIONIZATION, 82, 1e-7) == 0.0
    below, above = epdl.integrated_cross_section(epdl.PHOTOIONIZATION, 82, np.array([0.0880, 0.0886]))
    assert 4.0 < above / below < 6.0


def test_endl_numbers_without_exponent_letter():
    assert epdl._number(" 1.500000-3") == pytest.approx(1.5e-3)
    assert epdl._number("-2.250000+2") == pytest.approx(-225.0)
    assert epdl._number(" 0.0       ") == 0.0


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="PyMca5"):
        epdl.epdl_path()
