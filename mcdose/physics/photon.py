"""Photon interaction data per material: mass attenuation per process, mu_en/rho,
form factors and incoherent scattering functions, K/L shell data.

Units: photon energy E in MeV (xraylib takes keV), coefficients in cm²/g,
momentum transfer x = sin(theta/2)/lambda in 1/Å (xraylib's convention).
Mixtures: mass-fraction weighted sums of elemental mass coefficients
(independent-atom approximation).

Data: xraylib (Schoonjans et al., Spectrochim. Acta B 66 (2011) 776) up to
E_JOINT = 0.8 MeV, the end of its CS_Compt/CS_Rayl tables for every element
(CS_Photo of Z >= 13 goes to 1 MeV; all processes are joined at one energy).
Above the joint each process is continued by a model normalised to xraylib at
E_JOINT, so the step there is zero by construction:

* incoherent: integral of Klein–Nishina x S(x, Z) over angle (Hubbell et al.,
  J. Phys. Chem. Ref. Data 4 (1975) 471, eq. 2); S -> Z makes it Z x KN;
* coherent: integral of Thomson x F(x, Z)² over angle (ibid., eq. 1), which
  falls as E^-2 at high energy;
* photoelectric: the energy dependence of EPDL97's total photoionization (Cullen, Hubbell & Kissel,
  UCRL-50400 Vol. 6 Rev. 5, 1997; Scofield's relativistic Hartree-Slater values joined above 1 MeV to
  Pratt's high-energy limit, the evaluation XCOM uses), read by mcdose.physics.epdl. The Sauter K-shell
  (Born) shape used before fell too slowly: +25 / +61 / +82 % over XCOM for Pb at 2 / 5 / 10 MeV;
* pair: xraylib has no pair data; EPDL97's nuclear plus electron-field (triplet) pair cross sections
  (Hubbell, Gimm & Øverbø, J. Phys. Chem. Ref. Data 9 (1980) 1023, as in XCOM) serve the whole range,
  zero below 2 mc². The analytic DCS of photon_highenergy (PENELOPE's) gives the energy sharing the
  kernel samples and mu_en averages over; integrated, it is within 3.5 % of these totals above 3 MeV
  and 5-9 % low for high Z at 1.5-2 MeV (PENELOPE likewise takes its totals from XCOM).

mu_en/rho = sum_i mu_i f_i (1 - g) (Hubbell, Int. J. Appl. Radiat. Isot. 33
(1982) 1269; Seltzer, Radiat. Res. 136 (1993) 147) with energy-transfer fractions
f_pe = 1 - sum_s P_s omega_s E_s / E (fluorescence escape from K, L1-L3 after
photoabsorption in shell s, P_s from xraylib's partial photo cross sections,
omega_s the fluorescence yield, E_s the rate-weighted mean line energy, plus
L fluorescence after K vacancies and Coster–Kronig transfers), f_inc from the Klein–Nishina x S(x) energy-transfer
integral, f_pair = 1 - 2 mc²/E, f_coh = 0; g_i the radiation yield of process i's charged particles
averaged over their initial energies (radiation_yield, mu_en_over_rho). xraylib 4.3's CS_Energy is not used: it is wrong for
oxygen (0.0311 vs NIST 0.02794 cm²/g at 1 MeV, 0.429 vs 0.618 at 20 keV; it
rises above 1 MeV) while agreeing at 10-15 keV and 0.15-0.8 MeV.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xraylib
from scipy.integrate import cumulative_trapezoid

from ..errors import InputError
from ..materials import Material, atomic_weight
from .constants import AVOGADRO_PER_MOL as N_A
from .constants import CLASSICAL_ELECTRON_RADIUS_CM as R_E
from .annihilation import annihilation_cross_section
from .bremsstrahlung import radiative_stopping_power
from .collision import collision_stopping_power
from .epdl import PAIR_ELECTRON, PAIR_NUCLEAR, PHOTOIONIZATION, integrated_cross_section
from .photon_highenergy import MEC2, pair_sharing

__all__ = ["E_JOINT", "PROCESSES", "photon_cross_sections", "mu_en_over_rho", "radiation_yield",
           "form_factor_squared", "incoherent_function", "atoms_per_gram", "ShellData", "shell_data",
           "photoelectric_edge_kev"]

E_JOINT = 0.8                    # MeV: xraylib below, normalised models above
PROCESSES = ("photoelectric", "incoherent", "coherent", "pair")
E_RANGE = (1e-3, 100.0)          # MeV accepted (tables need 1 keV - 50 MeV)
_HC_KEV_A = 12.398419843320026   # h c in keV Å: x = E[keV] sin(theta/2) / 12.398
_X = np.logspace(-3, 5, 481)     # 1/Å; xraylib's SF_Compt starts at 1e-3
_LN_X = np.log(_X)
_U = np.logspace(-4, 0, 400)     # sin(theta/2) nodes for the angular integrals
_SHELLS = ("K", "L1", "L2", "L3")
_T_YIELD = np.geomspace(1e-3, E_RANGE[1], 400)  # MeV, electron energies of the radiation-yield tables


def _energies(E) -> np.ndarray:
    E = np.atleast_1d(np.asarray(E, dtype=float))
    if E.size and (not np.all(np.isfinite(E)) or E.min() < E_RANGE[0] * (1 - 1e-9) or E.max() > E_RANGE[1]):
        raise InputError(f"photon energy {E.min():g}..{E.max():g} MeV is not allowed: "
                         f"must be within [{E_RANGE[0]:g}, {E_RANGE[1]:g}] MeV")
    return E


def _xraylib(func, *args_then_values) -> np.ndarray:
    """Call a scalar xraylib function over the last argument (a 1-D array); 0 where xraylib refuses."""
    *args, values = args_then_values

    def one(v):
        try:
            return func(*args, float(v))
        except ValueError:
            return 0.0
    return np.array([one(v) for v in values])


@lru_cache(maxsize=None)
def _atomic_functions(Z: int) -> tuple:
    """ln F(x,Z)² and ln S(x,Z) on the _X grid (xraylib FF_Rayl, SF_Compt)."""
    F = _xraylib(xraylib.FF_Rayl, Z, _X)
    S = _xraylib(xraylib.SF_Compt, Z, _X)
    tiny = 1e-300
    return np.log(F * F + tiny), np.log(S + tiny)


def _F2(Z: int, x) -> np.ndarray:
    """Atomic form factor squared, flat below the table (F -> Z) and log-log interpolated."""
    lnF2, _ = _atomic_functions(Z)
    lx = np.log(np.maximum(x, _X[0]))
    return np.exp(np.interp(lx, _LN_X, lnF2, right=lnF2[-1]))


def _S(Z: int, x) -> np.ndarray:
    """Incoherent scattering function, S ∝ x² below the table (Hubbell et al. 1975), -> Z above."""
    _, lnS = _atomic_functions(Z)
    x = np.asarray(x, dtype=float)
    lx = np.log(np.maximum(x, 1e-300))
    slope = (lnS[1] - lnS[0]) / (_LN_X[1] - _LN_X[0])
    below = lnS[0] + max(slope, 2.0) * (lx - _LN_X[0])
    return np.where(x < _X[0], np.exp(below), np.exp(np.interp(lx, _LN_X, lnS, right=np.log(Z))))


def _compton_integrand(Z: int, E: np.ndarray) -> tuple:
    """(dσ_KN/d ln u x S(x) in cm²/atom, k'/k) on the _U grid of u = sin(θ/2), shape (n, len(_U)) each."""
    kappa = E[:, None] / MEC2
    u2 = _U * _U
    cos = 1 - 2 * u2
    r = 1 / (1 + kappa * (1 - cos))                        # k'/k
    kn = 8 * np.pi * u2 * 0.5 * R_E**2 * r * r * (r + 1 / r - (1 - cos * cos))
    return kn * _S(Z, 1e3 * E[:, None] * _U / _HC_KEV_A), r


def _angular_integrals(Z: int, E: np.ndarray) -> tuple:
    """(sigma_coh, sigma_incoh, sigma_incoh_tr) in cm²/atom.

    sigma_coh = ∫ r_e²/2 (1 + cos²θ) F(x)² dΩ; sigma_incoh = ∫ dσ_KN/dΩ S(x) dΩ;
    sigma_incoh_tr the same weighted with the electron's energy fraction 1 - k'/k.
    Trapezoid rule in ln u, u = sin(θ/2) in [1e-4, 1], dΩ = 8π u² d ln u.
    """
    u2 = _U * _U
    cos = 1 - 2 * u2
    thomson = 8 * np.pi * u2 * 0.5 * R_E**2 * (1 + cos * cos)
    x = 1e3 * E[:, None] * _U / _HC_KEV_A
    compton, r = _compton_integrand(Z, E)
    lnu = np.log(_U)
    coh = np.trapezoid(thomson * _F2(Z, x), lnu, axis=1)
    inc = np.trapezoid(compton, lnu, axis=1)
    tr = np.trapezoid(compton * (1 - r), lnu, axis=1)
    return coh, inc, tr


@lru_cache(maxsize=None)
def _joint_values(Z: int) -> dict:
    """xraylib values (cm²/g) and model values at E_JOINT used for the normalisation."""
    e_kev = 1e3 * E_JOINT
    coh, inc, _ = _angular_integrals(Z, np.array([E_JOINT]))
    return {"photoelectric": xraylib.CS_Photo(Z, e_kev), "incoherent": xraylib.CS_Compt(Z, e_kev),
            "coherent": xraylib.CS_Rayl(Z, e_kev), "coh_model": coh[0], "inc_model": inc[0]}


@lru_cache(maxsize=None)
def _partial_table_end(Z: int, shell: int) -> tuple:
    """(last energy in keV of xraylib's partial photoelectric table for a shell, shell share there).

    xraylib's per-shell tables end well below its total (about 0.1-0.3 MeV for lead); beyond
    their end the share of each shell is held at its last value (it varies by < 2 % per decade there).
    """
    def share(e):
        return xraylib.CS_Photo_Partial(Z, shell, e) / xraylib.CS_Photo(Z, e)
    try:
        lo = max(1.0, 1.001 * xraylib.EdgeEnergy(Z, shell))
    except ValueError:
        return 0.0, 0.0
    hi = 1e3 * E_JOINT
    for e in (hi, lo):
        try:
            value = share(e)
        except ValueError:
            continue
        if e == hi:
            return hi, value
        break
    else:  # no table in range at all
        return 0.0, 0.0
    while hi / lo - 1.0 > 1e-6:
        mid = np.sqrt(lo * hi)
        try:
            share(mid)
            lo = mid
        except ValueError:
            hi = mid
    return lo, share(lo)


@lru_cache(maxsize=None)
def photoelectric_edge_kev(Z: int, shell: int) -> float:
    """Where xraylib's photoelectric table jumps near the edge of a shell (keV; 0 if Z has no such edge).

    xraylib's cross-section tables place some edges up to ~1e-3 (relative) away
    from EdgeEnergy; the jump is located by bisection to 1e-10 so that grid points
    straddle it exactly. Returns the nominal value if no jump is visible.
    """
    try:
        nominal_kev = xraylib.EdgeEnergy(Z, shell)
    except ValueError:
        return 0.0
    lo, hi = nominal_kev * 0.99, nominal_kev * 1.01
    try:
        f_lo, f_hi = np.log(xraylib.CS_Photo(Z, lo)), np.log(xraylib.CS_Photo(Z, hi))
    except ValueError:
        return nominal_kev
    if f_hi - f_lo < 0.05:
        return nominal_kev
    mid_level = 0.5 * (f_lo + f_hi)
    while hi / lo - 1.0 > 1e-10:
        mid = 0.5 * (lo + hi)
        if np.log(xraylib.CS_Photo(Z, mid)) < mid_level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def shell_fractions(Z: int, E: np.ndarray) -> np.ndarray:
    """Share of photoabsorption in the K, L1, L2, L3 shells at photon energies E (MeV), shape (n, 4)."""
    e_kev = 1e3 * np.minimum(E, E_JOINT)
    total = _xraylib(xraylib.CS_Photo, Z, e_kev)
    out = np.zeros((E.size, len(_SHELLS)))
    for j, s in enumerate(_SHELLS):
        shell = getattr(xraylib, f"{s}_SHELL")
        end_kev, end_share = _partial_table_end(Z, shell)
        part = _xraylib(xraylib.CS_Photo_Partial, Z, shell, e_kev)
        share = np.where(e_kev > end_kev, end_share, part / np.where(total > 0, total, 1.0))
        # xraylib's partial tables can start a little below the jump of its total: no share before it
        out[:, j] = np.where(e_kev < photoelectric_edge_kev(Z, shell), 0.0, share)
    # right at an edge xraylib's partial and total tables can disagree: shares never exceed the whole
    return out / np.maximum(out.sum(axis=1), 1.0)[:, None]


def _fluorescence_escape(Z: int) -> np.ndarray:
    """Mean fluorescence energy (MeV) leaving per primary vacancy in K, L1, L2, L3.

    omega_s E_s per shell; an L1 or L2 vacancy first moves to a higher L subshell by a Coster–Kronig
    transition with probability f_12, f_13, f_23 (xraylib CosKronTransProb; Krause, J. Phys. Chem. Ref.
    Data 8 (1979) 307), so e_L3 = w3 E3, e_L2 = w2 E2 + f23 e_L3, e_L1 = w1 E1 + f12 e_L2 + f13 e_L3.
    K: one cascade step, a K vacancy filled by K-alpha leaves one L vacancy, a KLL Auger decay two,
    L2:L3 taken as 1:2 (K-alpha2 to K-alpha1). M-shell fluorescence is neglected.
    """
    sd = shell_data(Z)
    w, e = np.array(sd.fluorescence_yields), np.array(sd.mean_line_energies)
    f12, f13, f23 = (_safe(xraylib.CosKronTransProb, Z, getattr(xraylib, f"FL{t}_TRANS")) for t in (12, 13, 23))
    escape = w * e
    escape[2] += f23 * escape[3]
    escape[1] += f12 * escape[2] + f13 * escape[3]
    escape[0] += (w[0] * sd.k_alpha_probability + 2 * (1 - w[0])) * (escape[2] + 2 * escape[3]) / 3
    return escape


@lru_cache(maxsize=256)
def _element(Z: int, key: bytes) -> dict:
    """Per-element mass coefficients (cm²/g) and energy-transfer fractions on the grid in key."""
    E = np.frombuffer(key, dtype=float)
    lo, hi = E <= E_JOINT, E > E_JOINT
    e_kev = 1e3 * E[lo]
    jv = _joint_values(Z)
    per_gram = N_A / atomic_weight(Z)
    coh, inc, inc_tr = _angular_integrals(Z, E)
    out = {}
    for name, func in (("photoelectric", xraylib.CS_Photo), ("incoherent", xraylib.CS_Compt),
                       ("coherent", xraylib.CS_Rayl)):
        out[name] = np.empty_like(E)
        out[name][lo] = _xraylib(func, Z, e_kev)
    out["photoelectric"][hi] = (jv["photoelectric"] * integrated_cross_section(PHOTOIONIZATION, Z, E[hi])
                                / integrated_cross_section(PHOTOIONIZATION, Z, E_JOINT))
    out["incoherent"][hi] = jv["incoherent"] * inc[hi] / jv["inc_model"]
    out["coherent"][hi] = jv["coherent"] * coh[hi] / jv["coh_model"]
    out["pair"] = per_gram * 1e-24 * (integrated_cross_section(PAIR_NUCLEAR, Z, E)
                                      + integrated_cross_section(PAIR_ELECTRON, Z, E))
    # fluorescence energy carried away per photoabsorption, MeV
    escape = _fluorescence_escape(Z)
    out["f_photoelectric"] = 1 - shell_fractions(Z, E) @ escape / E
    out["f_incoherent"] = np.where(inc > 0, inc_tr / np.where(inc > 0, inc, 1.0), 0.0)
    out["f_pair"] = np.maximum(1 - 2 * MEC2 / E, 0.0)
    return out


def _elements(material: Material, E: np.ndarray):
    key = np.ascontiguousarray(E, dtype=float).tobytes()
    return [(w, _element(z, key)) for z, w in zip(material.Z, material.mass_fractions)]


def photon_cross_sections(material: Material, E) -> dict:
    """Mass attenuation coefficient per process, cm²/g, at photon energies E (MeV).

    Keys "photoelectric", "incoherent" (bound-electron Compton), "coherent" (Rayleigh) and
    "pair" (nuclear field plus triplet production in the electron field).
    """
    E = _energies(E)
    parts = _elements(material, E)
    return {p: sum(w * d[p] for w, d in parts) for p in PROCESSES}


@lru_cache(maxsize=64)
def _yield_tables(material: Material) -> tuple:
    """Radiative yields of electrons and positrons on _T_YIELD (see radiation_yield)."""
    T = _T_YIELD
    s_rad = radiative_stopping_power(material, T)
    out = []
    for positron in (False, True):
        s_tot = collision_stopping_power(material, T, positron) + s_rad
        loss = s_rad / s_tot                                   # radiated share of dT
        survival_log = np.zeros_like(T)                        # C(T) = ∫_T[0]^T sigma_an / S_tot dT'
        if positron:
            sigma = annihilation_cross_section(material, T)
            loss = loss + T * sigma / s_tot                    # kinetic energy carried off by annihilation
            survival_log = cumulative_trapezoid(sigma / s_tot, T, initial=0.0)
        # Y(T_j) T_j = ∫_0^T_j exp(-(C_j - C(t))) loss(t) dt, with loss(t) flat below T[0]
        weighted = np.exp(survival_log) * loss
        integral = weighted[0] * T[0] + cumulative_trapezoid(weighted, T, initial=0.0)
        out.append(np.exp(-survival_log) * integral / T)
    return tuple(out)


def radiation_yield(material: Material, T, positron: bool = False) -> np.ndarray:
    """Fraction Y(T) of the initial kinetic energy T (MeV) of an electron (or positron) slowing down in the
    material that is radiated: Y T = ∫_0^T S_rad/S_tot dT' in the continuous-slowing-down approximation
    (ICRU Report 37, sec. 2.6), for positrons plus the kinetic energy carried off by two-photon annihilation
    in flight (Heitler cross section) weighted with the probability of surviving to that energy (Seltzer,
    Radiat. Res. 136 (1993) 147). Stopping powers of mcdose.physics.collision and .bremsstrahlung.
    """
    table = _yield_tables(material)[int(positron)]
    lnT = np.log(np.clip(np.asarray(T, dtype=float), _T_YIELD[0], _T_YIELD[-1]))
    return np.interp(lnT, np.log(_T_YIELD), table)


def mu_en_over_rho(material: Material, E) -> np.ndarray:
    """Mass energy-absorption coefficient mu_en/rho, cm²/g, at photon energies E (MeV).

    mu_en = sum_i mu_i f_i (1 - g_i) (see the module docstring), g_i the radiation yield averaged over the
    initial kinetic energies of process i's charged particles, weighted with their energy: one
    photoelectron (with the Auger energy) of f_pe E; the Compton electrons' spectrum of the Klein–Nishina x
    S(x) integrand; electron and positron of the pair sharing E - 2 mc² as the pair DCS does.
    """
    E = _energies(E)
    mu_tr = np.zeros_like(E)
    mu_rad = np.zeros_like(E)
    lnu = np.log(_U)
    for (Z, w), (_, d) in zip(zip(material.Z, material.mass_fractions), _elements(material, E)):
        compton, r = _compton_integrand(Z, E)
        t = E[:, None] * (1 - r)
        g_inc = (np.trapezoid(compton * t * radiation_yield(material, t), lnu, axis=1)
                 / np.trapezoid(compton * t, lnu, axis=1))
        eps, share = pair_sharing(Z, E)
        t_minus = np.maximum(eps * E[:, None] - MEC2, 0.0)
        t_plus = np.maximum((1 - eps) * E[:, None] - MEC2, 0.0)
        radiated = (share * (t_minus * radiation_yield(material, t_minus)
                             + t_plus * radiation_yield(material, t_plus, positron=True))).sum(axis=1)
        kinetic = (share * (t_minus + t_plus)).sum(axis=1)
        g_pair = radiated / np.where(kinetic > 0, kinetic, 1.0)
        g_pe = radiation_yield(material, E * d["f_photoelectric"])
        for p, g in (("photoelectric", g_pe), ("incoherent", g_inc), ("pair", g_pair)):
            tr = w * d[p] * d["f_" + p]
            mu_tr += tr
            mu_rad += tr * g
    return mu_tr - mu_rad


def atoms_per_gram(material: Material) -> float:
    """Atoms per gram, N_A sum_i w_i / A_i: converts the per-atom functions below to per gram."""
    return N_A * sum(w / a for w, a in zip(material.mass_fractions, material.A))


def _number_fractions(material: Material) -> list:
    n = [w / a for w, a in zip(material.mass_fractions, material.A)]
    return [v / sum(n) for v in n]


def form_factor_squared(material: Material, x) -> np.ndarray:
    """Mean F(x)² per atom, sum_i n_i F_i(x)² (n_i number fractions; independent atoms), electrons².

    x = sin(theta/2)/lambda in 1/Å. sigma_coh (cm²/g) = atoms_per_gram * ∫ r_e²/2 (1+cos²θ) F² dΩ.
    """
    x = np.asarray(x, dtype=float)
    return sum(n * _F2(z, x) for n, z in zip(_number_fractions(material), material.Z))


def incoherent_function(material: Material, x) -> np.ndarray:
    """Mean incoherent scattering function per atom, sum_i n_i S_i(x) (tends to the mean Z), x in 1/Å.

    sigma_incoh (cm²/g) = atoms_per_gram * ∫ dσ_KN/dΩ S dΩ.
    """
    x = np.asarray(x, dtype=float)
    return sum(n * _S(z, x) for n, z in zip(_number_fractions(material), material.Z))


@dataclass(frozen=True)
class ShellData:
    """Inner-shell data of element Z (energies in MeV). Missing shells or lines read 0.

    Shell tuples are ordered K, L1, L2, L3. k_shell_fraction is the share of photoabsorption
    in the K shell just above its edge, 1 - 1/J_K with J_K the jump ratio.
    """

    Z: int
    binding_energies: tuple
    fluorescence_yields: tuple
    mean_line_energies: tuple
    k_alpha_energy: float
    k_beta_energy: float
    k_alpha_probability: float
    k_beta_probability: float
    k_shell_fraction: float


def _safe(func, *args) -> float:
    try:
        return float(func(*args))
    except ValueError:
        return 0.0


@lru_cache(maxsize=None)
def shell_data(Z: int) -> ShellData:
    """K and L1-L3 binding energies, fluorescence yields and line data of element Z from xraylib.

    mean_line_energies[s] is the radiative-rate weighted mean energy of all lines filling a
    vacancy in shell s (EdgeEnergy, FluorYield, LineEnergy, RadRate, JumpFactor).
    """
    Z = int(Z)
    if not 1 <= Z <= 99:
        raise InputError(f"atomic number {Z} is not allowed: must be 1..99")
    lines = [n for n in dir(xraylib) if n.endswith("_LINE") and n[:2] in ("KL", "KM", "KN", "KO", "KP")
             or n[:2] in ("L1", "L2", "L3") and n.endswith("_LINE")]
    edges, yields, means = [], [], []
    for s in _SHELLS:
        code = getattr(xraylib, f"{s}_SHELL")
        edges.append(1e-3 * _safe(xraylib.EdgeEnergy, Z, code))
        yields.append(_safe(xraylib.FluorYield, Z, code))
        own = [getattr(xraylib, n) for n in lines if n.startswith(s)]
        rates = np.array([_safe(xraylib.RadRate, Z, c) for c in own])
        energies = np.array([_safe(xraylib.LineEnergy, Z, c) for c in own])
        means.append(1e-3 * float(rates @ energies / rates.sum()) if rates.sum() > 0 else 0.0)
    jump = _safe(xraylib.JumpFactor, Z, xraylib.K_SHELL)
    return ShellData(Z, tuple(edges), tuple(yields), tuple(means),
                     1e-3 * _safe(xraylib.LineEnergy, Z, xraylib.KA_LINE),
                     1e-3 * _safe(xraylib.LineEnergy, Z, xraylib.KB_LINE),
                     _safe(xraylib.RadRate, Z, xraylib.KA_LINE), _safe(xraylib.RadRate, Z, xraylib.KB_LINE),
                     1 - 1 / jump if jump > 1 else 0.0)
