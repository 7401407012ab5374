"""Photon interaction data against NIST XCOM / NISTIR 5632, xraylib and analytic limits.

Tolerances: mu/rho 2 % and mu_en/rho 3 % (the brief's targets; the NIST tables themselves
quote 1-2 % uncertainty for mu and a few % for mu_en); joint steps 0.5 %; angular integrals
against xraylib's own integrated cross sections 2 % (tabulation and quadrature differences).
"""
import csv
import time
from pathlib import Path

import numpy as np
import pytest
import xraylib

from mcdose.errors import InputError
from mcdose.materials import Material
from mcdose.physics import photon
from mcdose.physics.epdl import PHOTOIONIZATION, integrated_cross_section
from mcdose.physics.constants import AVOGADRO_PER_MOL, CLASSICAL_ELECTRON_RADIUS_CM, FINE_STRUCTURE
from mcdose.physics.photon_highenergy import (MEC2, coulomb_correction, klein_nishina, klein_nishina_transfer_fraction,
                                             pair_dcs, pair_sharing, screening_radius, triplet_eta)

WATER = Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, "NIST")
AIR = Material("air", 1.20479e-3, (6, 7, 8, 18), (0.000124, 0.755268, 0.231781, 0.012827), 85.7, "NIST")
NIST_CSV = Path(__file__).resolve().parents[2] / "benchmarks" / "reference" / "nist_reference.csv"


def element(Z):
    return Material(xraylib.AtomicNumberToSymbol(Z).lower(), 1.0, (Z,), (1.0,), 100.0, "test")


def total(material, E):
    return sum(photon.photon_cross_sections(material, E).values())


def nist_rows(quantity):
    with NIST_CSV.open() as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#") and r[0] != "material"]
    return [(r[0], float(r[2]), float(r[3])) for r in rows if r[1] == quantity]


MATERIALS = {"water": WATER, "air": AIR}


@pytest.mark.parametrize("name,E,ref", nist_rows("mu_over_rho"))
def test_mu_over_rho_vs_nist(name, E, ref):
    assert total(MATERIALS[name], E)[0] == pytest.approx(ref, rel=0.02)


@pytest.mark.parametrize("name,E,ref", nist_rows("mu_en_over_rho"))
def test_mu_en_over_rho_vs_nist(name, E, ref):
    assert photon.mu_en_over_rho(MATERIALS[name], E)[0] == pytest.approx(ref, rel=0.03)


# XCOM totals (with coherent), cm²/g
@pytest.mark.parametrize("Z,E,ref", [(82, 0.1, 5.549), (82, 1.0, 0.07102), (79, 0.1, 5.158), (79, 1.0, 0.06953)])
def test_high_z_spot_checks_below_pair_region(Z, E, ref):
    assert total(element(Z), E)[0] == pytest.approx(ref, rel=0.02)


def test_water_20_MeV():
    assert total(WATER, 20.0)[0] == pytest.approx(0.01813, rel=0.02)


# Au 10 MeV: XCOM 0.04926 (data file below; 0.04868 used before had no source)
@pytest.mark.parametrize("Z,ref", [(82, 0.04972), (79, 0.04926)])
def test_high_z_10_MeV(Z, ref):
    assert total(element(Z), 10.0)[0] == pytest.approx(ref, rel=0.02)


# XCOM lead totals (with coherent), cm²/g: the pair region from threshold to 20 MeV
@pytest.mark.parametrize("E,ref", [(1.5, 0.05222), (2.0, 0.04606), (3.0, 0.04234), (4.0, 0.04197), (5.0, 0.04272), (6.0, 0.04391), (8.0, 0.04675), (15.0, 0.05658), (20.0, 0.06206)])
def test_lead_pair_region_vs_xcom(E, ref):
    assert total(element(82), E)[0] == pytest.approx(ref, rel=0.02)


# XCOM (NIST SRD 8, Berger & Hubbell) element data files MDATX3.029/.074/.079/.082, partial cross sections in
# barn/atom converted with N_A / A (A from the same file): total with coherent, photoelectric, pair (nuclear +
# electron field), incoherent, cm²/g. The Pb totals equal the NIST tables used above.
XCOM = {  # Z: {E_MeV: (total, photoelectric, pair, incoherent)}
    29: {1.0: (0.05901, 5.143e-4, 0.0, 0.05797), 2.0: (0.04205, 1.464e-4, 1.511e-3, 0.04026),
         3.0: (0.03599, 7.922e-5, 4.170e-3, 0.03168), 5.0: (0.03177, 3.978e-5, 8.877e-3, 0.02283),
         10.0: (0.03103, 1.725e-5, 0.01695, 0.01405)},
    74: {1.0: (0.06618, 0.01283, 0.0, 0.05087), 2.0: (0.04433, 3.574e-3, 4.684e-3, 0.03544),
         3.0: (0.04075, 1.875e-3, 0.01068, 0.02791), 5.0: (0.04103, 9.044e-4, 0.01991, 0.02012),
         10.0: (0.04747, 3.747e-4, 0.03467, 0.01240)},
    79: {1.0: (0.06953, 0.01609, 0.0, 0.05063), 2.0: (0.04570, 4.476e-3, 5.192e-3, 0.03531),
         3.0: (0.04202, 2.343e-3, 0.01154, 0.02781), 5.0: (0.04239, 1.126e-3, 0.02110, 0.02005),
         10.0: (0.04926, 4.650e-4, 0.03642, 0.01235)},
    82: {1.0: (0.07102, 0.01810, 0.0, 0.04993), 2.0: (0.04607, 5.034e-3, 5.450e-3, 0.03482),
         3.0: (0.04234, 2.631e-3, 0.01193, 0.02744), 5.0: (0.04272, 1.263e-3, 0.02155, 0.01978),
         10.0: (0.04972, 5.203e-4, 0.03698, 0.01219)},
}
XCOM_CASES = [(Z, E) for Z in (29, 74, 79) for E in (1.0, 2.0, 3.0, 5.0, 10.0)]


@pytest.mark.parametrize("Z,E", XCOM_CASES)
def test_cu_w_au_vs_xcom(Z, E):
    """Total mu/rho (with coherent) against XCOM, 2 % (the brief's target)."""
    assert total(element(Z), E)[0] == pytest.approx(XCOM[Z][E][0], rel=0.02)


@pytest.mark.parametrize("Z", [29, 74, 79, 82])
def test_incoherent_vs_xcom(Z):
    """KN x S(x) (Hubbell et al. 1975 S, as XCOM) against XCOM's incoherent, 1-10 MeV: 1 % (quadrature, S tabulation)."""
    E = np.array(sorted(XCOM[Z]))
    got = photon.photon_cross_sections(element(Z), E)["incoherent"]
    assert got == pytest.approx([XCOM[Z][e][3] for e in E], rel=0.01)


@pytest.mark.parametrize("Z", [29, 74, 79, 82])
def test_pair_vs_xcom(Z):
    """Pair (nuclear + triplet, EPDL97) against XCOM at 2-10 MeV: 1 % (both carry Hubbell, Gimm & Øverbø's
    evaluation; XCOM's files print four digits)."""
    E = np.array([2.0, 3.0, 5.0, 10.0])
    got = photon.photon_cross_sections(element(Z), E)["pair"]
    assert got == pytest.approx([XCOM[Z][e][2] for e in E], rel=0.01)


@pytest.mark.parametrize("Z", [29, 74, 79, 82])
def test_sampled_pair_dcs_integrates_close_to_xcom_above_3_MeV(Z):
    """The DCS the kernel samples the sharing from, integrated, against XCOM at 3, 5, 10 MeV: 3.5 % (PENELOPE's
    F_0 fit reproduces the Hubbell-Gimm-Øverbø totals to a few %; measured worst case Cu +2.7 % at 3 MeV)."""
    E = np.array([3.0, 5.0, 10.0])
    got = pair_sharing(Z, E)[1].sum(axis=1) * AVOGADRO_PER_MOL / xraylib.AtomicWeight(Z)
    assert got == pytest.approx([XCOM[Z][e][2] for e in E], rel=0.035)


@pytest.mark.parametrize("Z", [29, 74, 79, 82])
def test_photoelectric_continuation_vs_xcom(Z):
    """XCOM's photoeffect above 1.5 MeV (Hubbell's semi-empirical bridge to Pratt's high-energy limit), 1-10 MeV: 1 %.

    EPDL97 carries the same evaluation; the allowance covers XCOM's four printed digits (0.1 %) and the
    normalisation to xraylib at E_JOINT (xraylib / EPDL97 = 0.9986-1.0012 there for these elements)."""
    E = np.array(sorted(XCOM[Z]))
    got = photon.photon_cross_sections(element(Z), E)["photoelectric"]
    assert got == pytest.approx([XCOM[Z][e][1] for e in E], rel=0.01)


# XCOM water totals, cm²/g (NISTIR 5632)
@pytest.mark.parametrize("E,ref", [(2.0, 0.04942), (5.0, 0.03031), (10.0, 0.02219)])
def test_water_pair_region_vs_xcom(E, ref):
    assert total(WATER, E)[0] == pytest.approx(ref, rel=0.02)


JOINT_ELEMENTS = [1, 6, 7, 8, 13, 29, 74, 79, 82]


@pytest.mark.parametrize("Z", JOINT_ELEMENTS)
def test_joint_is_continuous(Z):
    E = photon.E_JOINT * np.array([1 - 1e-6, 1 + 1e-6])
    xs = photon.photon_cross_sections(element(Z), E)
    for name, v in xs.items():
        if v[0] > 0:
            assert abs(v[1] / v[0] - 1) < 0.005, name
    t = sum(xs.values())
    assert abs(t[1] / t[0] - 1) < 0.005


@pytest.mark.parametrize("Z", JOINT_ELEMENTS)
def test_high_energy_models_follow_xraylib_below_joint(Z):
    """The normalised continuations, evaluated at 0.5 MeV, reproduce xraylib's total there (no kink)."""
    E = np.array([0.5])
    coh, inc, _ = photon._angular_integrals(Z, E)
    jv = photon._joint_values(Z)
    shape = integrated_cross_section(PHOTOIONIZATION, Z, 0.5) / integrated_cross_section(PHOTOIONIZATION, Z, photon.E_JOINT)
    model = (jv["incoherent"] * inc[0] / jv["inc_model"] + jv["coherent"] * coh[0] / jv["coh_model"]
             + jv["photoelectric"] * shape)
    ref = xraylib.CS_Compt(Z, 500.0) + xraylib.CS_Rayl(Z, 500.0) + xraylib.CS_Photo(Z, 500.0)
    assert model == pytest.approx(ref, rel=0.005)


def test_pair_threshold_and_energy_range():
    xs = photon.photon_cross_sections(WATER, np.array([0.001, 1.0, 1.1, 50.0]))
    assert xs["pair"][0] == 0 and xs["pair"][1] == 0 and xs["pair"][2] > 0
    assert np.all(np.isfinite(total(WATER, np.geomspace(1e-3, 50, 50))))
    with pytest.raises(InputError):
        photon.photon_cross_sections(WATER, 0.0)


@pytest.mark.parametrize("Z", [1, 8, 82])
def test_pair_complete_screening_limit(Z):
    """At 100 GeV the model tends to Tsai's complete-screening result with the Coulomb correction,
    4 alpha r_e² Z² (7/9 (L_rad - f_C) - 1/54) (Tsai, Rev. Mod. Phys. 46 (1974) 815, eq. 3.83, nuclear
    part), L_rad = 5.31 for H (Hartree-Fock) and ln(184.15 Z^-1/3) (Thomas-Fermi) otherwise. 2 %: our
    radius comes from Hartree-Fock form factors, 4 % off Thomas-Fermi for Pb, 1.5 % in sigma.
    """
    L = 5.31 if Z == 1 else np.log(184.15 * Z ** (-1 / 3))
    ref = 4 * FINE_STRUCTURE * CLASSICAL_ELECTRON_RADIUS_CM**2 * Z * Z * (7 / 9 * (L - coulomb_correction(Z)) - 1 / 54)
    nuclear = pair_sharing(Z, 1e5)[1].sum() * Z / (Z + triplet_eta(Z, 1e5))
    assert nuclear == pytest.approx(ref, rel=0.02)


def test_screening_radius_hydrogen():
    """Complete screening with radius R equals Tsai's with L_rad when ln R = L_rad - 1/2; hydrogen's exact
    L_rad = 5.31 (Tsai 1974 table B.2) gives R = 122.7 hbar/mc. 0.5 %: xraylib form-factor tabulation."""
    assert screening_radius(1) == pytest.approx(np.exp(5.31 - 0.5), rel=0.005)


@pytest.mark.parametrize("Z", [8, 82])
def test_pair_dcs_integrates_to_total_and_is_symmetric(Z):
    """Gauss-Legendre total against a dense trapezoid over eps (1e-4); d sigma/d eps symmetric in eps <-> 1-eps,
    zero outside [mc²/k, 1 - mc²/k] and below threshold."""
    k = np.array([1.5, 3.0, 10.0, 50.0])
    eps = np.linspace(0.0, 1.0, 200001)
    dense = np.array([np.trapezoid(pair_dcs(Z, e, eps), eps) for e in k])
    assert pair_sharing(Z, k)[1].sum(axis=1) == pytest.approx(dense, rel=1e-4)
    e = np.linspace(0.05, 0.95, 19)
    assert pair_dcs(Z, 5.0, e) == pytest.approx(pair_dcs(Z, 5.0, 1 - e), rel=1e-12)
    assert pair_dcs(Z, 1.5, [0.2, 0.9]).tolist() == [0.0, 0.0]
    assert np.all(pair_dcs(Z, 1.0, e) == 0.0)


def test_klein_nishina_limits_and_transfer():
    thomson = 8 * np.pi / 3 * CLASSICAL_ELECTRON_RADIUS_CM**2
    assert klein_nishina(1e-6)[()] == pytest.approx(thomson, rel=1e-4)
    for E in (0.01, 1.0, 10.0):
        k = E / MEC2
        c = np.linspace(-1, 1, 200001)
        r = 1 / (1 + k * (1 - c))
        d = r * r * (r + 1 / r - (1 - c * c))
        assert klein_nishina_transfer_fraction(E)[()] == pytest.approx(np.trapezoid(d * (1 - r), c) / np.trapezoid(d, c),
                                                                       rel=1e-6)


def _per_gram_integrals(Z, E):
    """Integrate Thomson*F² and KN*S of the public per-atom functions over angle, cm²/g."""
    m = element(Z)
    c = np.linspace(-1, 1, 20001)
    out = []
    for e in E:
        x = 1e3 * e / 12.398419843320026 * np.sqrt((1 - c) / 2)
        r = 1 / (1 + e / MEC2 * (1 - c))
        th = np.pi * CLASSICAL_ELECTRON_RADIUS_CM**2 * (1 + c * c)
        kn = np.pi * CLASSICAL_ELECTRON_RADIUS_CM**2 * r * r * (r + 1 / r - (1 - c * c))
        out.append((np.trapezoid(th * photon.form_factor_squared(m, x), c),
                    np.trapezoid(kn * photon.incoherent_function(m, x), c)))
    return photon.atoms_per_gram(m) * np.array(out)


@pytest.mark.parametrize("Z", [8, 82])
def test_kn_times_S_reproduces_cs_compt(Z):
    E = [0.02, 0.05, 0.1]
    got = _per_gram_integrals(Z, E)[:, 1]
    assert got == pytest.approx([xraylib.CS_Compt(Z, 1e3 * e) for e in E], rel=0.02)


def test_thomson_times_F2_reproduces_cs_rayl_oxygen():
    E = [0.02, 0.05, 0.1]
    got = _per_gram_integrals(8, E)[:, 0]
    assert got == pytest.approx([xraylib.CS_Rayl(8, 1e3 * e) for e in E], rel=0.02)


@pytest.mark.xfail(strict=True, reason="xraylib's CS_Rayl(Pb) exceeds its own FF_Rayl integral by 3/6/8 % at 20/50/100 keV")
def test_thomson_times_F2_reproduces_cs_rayl_lead():
    E = [0.02, 0.05, 0.1]
    got = _per_gram_integrals(82, E)[:, 0]
    assert got == pytest.approx([xraylib.CS_Rayl(82, 1e3 * e) for e in E], rel=0.02)


def test_form_factor_and_S_limits():
    """F² -> <Z²> per atom at x = 0, S -> <Z> at large x, S(0) = 0 (Hubbell et al. 1975)."""
    n = [2 / 3, 1 / 3]  # H2O number fractions
    assert photon.form_factor_squared(WATER, 0.0) == pytest.approx(n[0] * 1 + n[1] * 64, rel=1e-3)
    assert photon.incoherent_function(WATER, 1e4) == pytest.approx(n[0] * 1 + n[1] * 8, rel=1e-3)
    assert photon.incoherent_function(WATER, 0.0) == 0.0
    assert photon.atoms_per_gram(WATER) == pytest.approx(3 * AVOGADRO_PER_MOL / 18.015, rel=1e-3)


@pytest.mark.parametrize("Z,edge_keV", [(82, 88.00), (79, 80.72), (29, 8.979), (74, 69.53)])
def test_shell_data_k_edges(Z, edge_keV):
    sd = photon.shell_data(Z)
    assert 1e3 * sd.binding_energies[0] == pytest.approx(edge_keV, rel=1e-3)
    assert sd.k_alpha_probability + sd.k_beta_probability == pytest.approx(1.0, abs=1e-6)
    assert sd.k_alpha_energy < sd.k_beta_energy < sd.binding_energies[0]
    assert 0.7 < sd.k_shell_fraction < 0.9
    assert sd.binding_energies[0] > sd.binding_energies[1] > sd.binding_energies[2] > sd.binding_energies[3]


def test_shell_data_fluorescence_yields():
    """omega_K: Pb 0.96, Cu 0.45 (Krause, J. Phys. Chem. Ref. Data 8 (1979) 307: 0.963, 0.440)."""
    assert photon.shell_data(82).fluorescence_yields[0] == pytest.approx(0.963, abs=0.01)
    assert photon.shell_data(29).fluorescence_yields[0] == pytest.approx(0.44, abs=0.02)
    assert photon.shell_data(1).fluorescence_yields == (0.0, 0.0, 0.0, 0.0)


def test_mu_en_below_mu():
    E = np.geomspace(1e-3, 20, 60)
    assert np.all(photon.mu_en_over_rho(WATER, E) < total(WATER, E))


def test_mu_en_lead_100_keV():
    """NIST (NISTIR 5632) lead at 0.1 MeV: mu_en/rho = 1.976 cm²/g, dominated by K fluorescence escape."""
    assert photon.mu_en_over_rho(element(82), 0.1)[0] == pytest.approx(1.976, rel=0.03)


def test_speed_300_points_5_elements():
    photon._element.cache_clear()
    photon._atomic_functions.cache_clear()
    photon._joint_values.cache_clear()
    m = Material("mix", 1.0, (1, 6, 8, 20, 82), (0.1, 0.2, 0.3, 0.2, 0.2), 100.0, "test")
    E = np.geomspace(1e-3, 50, 300)
    t0 = time.perf_counter()
    photon.photon_cross_sections(m, E)
    photon.mu_en_over_rho(m, E)
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("material", [WATER, element(82)])
def test_radiation_yield_is_the_csda_integral(material):
    """Y(T) T = ∫_0^T S_rad / S_tot dT' (ICRU 37 sec. 2.6) by adaptive quadrature of the same stopping powers:
    0.5 % (trapezoid rule on the 400-point table, ∫ below 1 keV taken flat). Positrons radiate more (annihilation
    in flight) and Y rises with T."""
    from scipy.integrate import quad

    from mcdose.physics.bremsstrahlung import radiative_stopping_power
    from mcdose.physics.collision import collision_stopping_power

    def share(t):
        s_rad = radiative_stopping_power(material, t)
        return float(s_rad / (collision_stopping_power(material, t) + s_rad))

    for T in (0.1, 1.0, 10.0):
        ref = (share(1e-3) * 1e-3 + quad(share, 1e-3, T, limit=200, epsrel=1e-6)[0]) / T
        assert photon.radiation_yield(material, T) == pytest.approx(ref, rel=0.005)
    T = np.geomspace(0.01, 20.0, 30)
    y, y_plus = photon.radiation_yield(material, T), photon.radiation_yield(material, T, positron=True)
    assert np.all(np.diff(y) > 0) and np.all(y_plus > y)
