"""Two-photon annihilation in flight (Heitler 1954) vs analytic limits and a hand-computed value."""
import numpy as np
import pytest

from mcdose.errors import InputError
from mcdose.materials import Material
from mcdose.physics.annihilation import annihilation_cross_section, annihilation_cross_section_per_electron
from mcdose.physics.constants import CLASSICAL_ELECTRON_RADIUS_CM, ELECTRON_MASS_MEV

PI_RE2 = np.pi * CLASSICAL_ELECTRON_RADIUS_CM ** 2
WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")


@pytest.mark.parametrize("T", [1e-6, 1e-5, 1e-4, 1e-3])
def test_low_energy_limit_is_pi_re2_c_over_v(T):
    # sigma -> pi r_e^2 c/v as v -> 0; the corrections vanish at least as beta^2.
    gamma = 1.0 + T / ELECTRON_MASS_MEV
    beta = np.sqrt(1.0 - 1.0 / gamma ** 2)
    ratio = annihilation_cross_section_per_electron(T) * beta / PI_RE2
    assert abs(ratio - 1.0) < beta ** 2


def test_hand_computed_value_at_gamma_2():
    # gamma = 2 (T = m c^2): sigma / (pi r_e^2) = [13/3 ln(2 + sqrt 3) - 5/sqrt 3] / 3
    # = [4.3333333 x 1.3169579 - 2.8867513] / 3 = 0.9400221 (by hand).
    value = annihilation_cross_section_per_electron(ELECTRON_MASS_MEV) / PI_RE2
    assert value == pytest.approx(0.9400221, rel=2e-7)


def test_high_energy_limit():
    # gamma >> 1: sigma -> pi r_e^2 (ln 2 gamma - 1) / gamma (Heitler); relative corrections O(ln(gamma)/gamma).
    T = 1e4
    gamma = 1.0 + T / ELECTRON_MASS_MEV
    limit = PI_RE2 * (np.log(2.0 * gamma) - 1.0) / gamma
    assert annihilation_cross_section_per_electron(T) == pytest.approx(limit, rel=5 * np.log(gamma) / gamma)


def test_per_gram_is_electron_density_times_per_electron():
    T = np.geomspace(1e-3, 50.0, 200)
    sigma = annihilation_cross_section(WATER, T)
    assert sigma.shape == T.shape and np.all(np.isfinite(sigma)) and np.all(np.diff(sigma) < 0)
    assert np.allclose(sigma, WATER.electrons_per_gram * annihilation_cross_section_per_electron(T), rtol=1e-14)


@pytest.mark.parametrize("bad", [0.0, -0.1, np.nan])
def test_bad_energy_raises(bad):
    with pytest.raises(InputError):
        annihilation_cross_section(WATER, bad)
