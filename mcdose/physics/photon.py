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
* pair: xraylib has no pair data, the analytic Born Bethe–Heitler model with
  screening, nuclear plus triplet (photon_highenergy.pair_total) serves the
  whole range; zero below 2 mc².

mu_en/rho = sum_i mu_i f_i (1 - g) (Hubbell, Int. J. Appl. Radiat. Isot. 33
(1982) 1269; Seltzer, Radiat. Res. 136 (1993) 147) with energy-transfer fractions
f_pe = 1 - sum_s P_s omega_s E_s / E (fluorescence escape from K, L1-L3 after
photoabsorption in shell s, P_s from xraylib's partial photo cross sections,
omega_s the fluorescence yield, E_s the rate-weighted mean line energy, plus
L fluorescence after K vacancies; no Coster–Kronig), f_inc from the Klein–Nishina x S(x) energy-transfer
integral, f_pair = 1 - 2 mc²/E, f_coh = 0; g the radiative fraction, see
radiative_fraction. xraylib 4.3's CS_Energy is not used: it is wrong for
oxygen (0.0311 vs NIST 0.02794 cm²/g at 1 MeV, 0.429 vs 0.618 at 20 keV; it
rises above 1 MeV) while agreeing at 10-15 keV and 0.15-0.8 MeV.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xraylib

from ..errors import InputError
from ..materials import Material, atomic_weight
from .constants import AVOGADRO_PER_MOL as N_A
from .constants import CLASSICAL_ELECTRON_RADIUS_CM as R_E
from .epdl import PHOTOIONIZATION, integrated_cross_section
from .photon_highenergy import MEC2, pair_total

__all__ = ["E_JOINT", "PROCESSES", "photon_cross_sections", "mu_en_over_rho", "radiative_fraction",
           "form_factor_squared", "incoherent_function", "atoms_per_gram", "ShellData", "shell_data"]

E_JOINT = 0.8                    # MeV: xraylib below, normalised models above
PROCESSES = ("photoelectric", "incoherent", "coherent", "pair")
E_RANGE = (1e-3, 100.0)          # MeV accepted (tables need 1 keV - 50 MeV)
_HC_KEV_A = 12.398419843320026   # h c in keV Å: x = E[keV] sin(theta/2) / 12.398
_X = np.logspace(-3, 5, 481)     # 1/Å; xraylib's SF_Compt starts at 1e-3
_LN_X = np.log(_X)
_U = np.logspace(-4, 0, 400)     # sin(theta/2) nodes for the angular integrals
_SHELLS = ("K", "L1", "L2", "L3")


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


def _angular_integrals(Z: int, E: np.ndarray) -> tuple:
    """(sigma_coh, sigma_incoh, sigma_incoh_tr) in cm²/atom.

    sigma_coh = ∫ r_e²/2 (1 + cos²θ) F(x)² dΩ; sigma_incoh = ∫ dσ_KN/dΩ S(x) dΩ;
    sigma_incoh_tr the same weighted with the electron's energy fraction 1 - k'/k.
    Trapezoid rule in ln u, u = sin(θ/2) in [1e-4, 1], dΩ = 8π u² d ln u.
    """
    kappa = E[:, None] / MEC2
    u2 = _U * _U
    x = 1e3 * E[:, None] * _U / _HC_KEV_A
    cos = 1 - 2 * u2
    r = 1 / (1 + kappa * (1 - cos))                        # k'/k
    weight = 8 * np.pi * u2 * 0.5 * R_E**2
    thomson = weight * (1 + cos * cos)
    kn = weight * r * r * (r + 1 / r - (1 - cos * cos))
    S = _S(Z, x)
    lnu = np.log(_U)
    coh = np.trapezoid(thomson * _F2(Z, x), lnu, axis=1)
    inc = np.trapezoid(kn * S, lnu, axis=1)
    tr = np.trapezoid(kn * S * (1 - r), lnu, axis=1)
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


def shell_fractions(Z: int, E: np.ndarray) -> np.ndarray:
    """Share of photoabsorption in the K, L1, L2, L3 shells at photon energies E (MeV), shape (n, 4)."""
    e_kev = 1e3 * np.minimum(E, E_JOINT)
    total = _xraylib(xraylib.CS_Photo, Z, e_kev)
    out = np.zeros((E.size, len(_SHELLS)))
    for j, s in enumerate(_SHELLS):
        shell = getattr(xraylib, f"{s}_SHELL")
        end_kev, end_share = _partial_table_end(Z, shell)
        part = _xraylib(xraylib.CS_Photo_Partial, Z, shell, e_kev)
        out[:, j] = np.where(e_kev > end_kev, end_share, part / np.where(total > 0, total, 1.0))
    # right at an edge xraylib's partial and total tables can disagree: shares never exceed the whole
    return out / np.maximum(out.sum(axis=1), 1.0)[:, None]


def _fluorescence_escape(Z: int) -> np.ndarray:
    """Mean fluorescence energy (MeV) leaving per primary vacancy in K, L1, L2, L3.

    omega_s E_s per shell, plus for K one cascade step: a K vacancy filled by K-alpha leaves one L
    vacancy, a KLL Auger decay two, each emitting omega_L E_L with L2:L3 taken as 1:2 (K-alpha2 to
    K-alpha1). Coster–Kronig and M-shell fluorescence are neglected.
    """
    sd = shell_data(Z)
    w, e = np.array(sd.fluorescence_yields), np.array(sd.mean_line_energies)
    escape = w * e
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
    out["pair"] = pair_total(Z, E) * per_gram
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


def radiative_fraction(material: Material, T) -> np.ndarray:
    """Radiative yield Y(T) of an electron of initial kinetic energy T (MeV) slowing down in the material.

    Y = b T / (1 + b T), b = 6e-4 Z per MeV (Koch & Motz, Rev. Mod. Phys. 31 (1959) 920; Evans,
    "The Atomic Nucleus" (1955) ch. 21 eq. 3.4), Z the electron-weighted mean atomic number
    sum w Z²/A / sum w Z/A. About 10 % accurate; g enters mu_en at the 1-2 % level only above 5 MeV.
    """
    zw = [(w * z * z / a, w * z / a) for z, w, a in zip(material.Z, material.mass_fractions, material.A)]
    z_eff = sum(p for p, _ in zw) / sum(q for _, q in zw)
    bT = 6e-4 * z_eff * np.asarray(T, dtype=float)
    return bT / (1 + bT)


def mu_en_over_rho(material: Material, E) -> np.ndarray:
    """Mass energy-absorption coefficient mu_en/rho, cm²/g, at photon energies E (MeV).

    mu_en = sum_i mu_i f_i (1 - g) (see the module docstring); g = sum_i mu_i f_i Y(T_i) / mu_tr with
    Y evaluated at the mean initial kinetic energy T_i of process i's charged particles (f_i E, and
    (E - 2 mc²)/2 for each pair particle). Positron annihilation in flight is not counted in g.
    """
    E = _energies(E)
    mu_tr = np.zeros_like(E)
    mu_rad = np.zeros_like(E)
    for w, d in _elements(material, E):
        for p, t in (("photoelectric", E * d["f_photoelectric"]), ("incoherent", E * d["f_incoherent"]),
                     ("pair", np.maximum(E - 2 * MEC2, 0.0) / 2)):
            tr = w * d[p] * d["f_" + p]
            mu_tr += tr
            mu_rad += tr * radiative_fraction(material, t)
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
