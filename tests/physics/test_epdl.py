"""EPDL97 subset (mcdose.physics.epdl) against xraylib's independent Scofield tables, the library file itself and
its own format rules."""
import numpy as np
import pytest
import xraylib

from mcdose.errors import InputError
from mcdose.physics import epdl, epdl_subset

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
    assert epdl_subset.endl_number(" 1.500000-3") == pytest.approx(1.5e-3)
    assert epdl_subset.endl_number("-2.250000+2") == pytest.approx(-225.0)
    assert epdl_subset.endl_number(" 0.0       ") == 0.0


def test_shipped_subset_is_the_library_itself():
    """The package data equal a fresh extraction from EPDL97.DAT (PyMca5's copy: a test dependency only),
    array for array, bit for bit."""
    pytest.importorskip("PyMca5")
    fresh = epdl_subset.parse_endl(epdl_subset.pymca_epdl_path().read_text())
    shipped = epdl._arrays()
    assert sorted(shipped) == sorted([epdl_subset.array_name(c, z) for c, z in fresh] + ["provenance"])
    for (c, z), data in fresh.items():
        np.testing.assert_array_equal(shipped[epdl_subset.array_name(c, z)], data)
    assert "UCRL-50400" in str(shipped["provenance"])


def test_a_damaged_subset_is_a_clear_error(tmp_path):
    arrays = dict(np.load(epdl.SUBSET))
    arrays["C73_Z82"] = arrays["C73_Z82"] * 1.0001
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InputError, match="checksum"):
        epdl._arrays(tmp_path / "bad.npz")
    (tmp_path / "short.npz").write_bytes(epdl.SUBSET.read_bytes()[:1000])
    with pytest.raises(InputError, match="cannot be read"):
        epdl._arrays(tmp_path / "short.npz")
