"""Aluminium HVL and effective energy (mcdose.analysis.beam_quality) against NIST XCOM and the definition."""
import numpy as np
import pytest

from mcdose.analysis import aluminium_hvl, effective_energy
from mcdose.errors import InputError


def test_monoenergetic_hvl_is_ln2_over_nist_mu():
    """30 keV: XCOM mu/rho(Al) = 1.128 cm2/g, so HVL = ln 2 / (1.128 x 2.699) = 0.2277 cm (tables within 2 %)."""
    assert aluminium_hvl([0.03], [1.0]) == pytest.approx(np.log(2) / (1.128 * 2.699), rel=0.02)
    assert effective_energy(aluminium_hvl([0.03], [1.0])) == pytest.approx(0.03, rel=1e-9)


def test_two_line_spectrum_halves_the_air_kerma():
    """At the HVL the air kerma of a 20 + 40 keV spectrum is half its unfiltered value (the definition);
    the effective energy lies between the lines."""
    import mcdose.physics as physics
    e, w = np.array([0.02, 0.04]), np.array([1.0, 0.5])
    hvl = aluminium_hvl(e, w)
    al, air = physics.tables("aluminium"), physics.tables("air")
    k = w * e * np.array([air.mu_en_over_rho(x) for x in e])
    mu = np.array([al.mu_over_rho(x) for x in e]) * 2.699
    assert np.sum(k * np.exp(-mu * hvl)) == pytest.approx(0.5 * k.sum(), rel=1e-9)
    assert 0.02 < effective_energy(hvl) < 0.04


@pytest.mark.parametrize("energy, weight", [([], []), ([0.0], [1.0]), ([0.03], [0.0]), ([0.03, 0.04], [1.0])])
def test_bad_spectra_are_refused(energy, weight):
    with pytest.raises(InputError, match="beam quality"):
        aluminium_hvl(energy, weight)
