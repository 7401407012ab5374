"""The kernel-side electron/positron data bundle: :class:`ElectronData`, numpy arrays of everything the
condensed-history samplers (``mcdose.kernels.electron_interactions``) need for a list of materials.

Units: MeV, g/cm² (ranges), MeV cm²/g (stopping powers), cm²/g (cross sections per gram).

Source: the per-material tables of :func:`mcdose.physics.material_tables.tables` (collision,
radiative, Moller/Bhabha, bremsstrahlung, annihilation and elastic data on the electron grid,
1 keV - 50 MeV, ELECTRON_POINTS_PER_DECADE = 64 points per decade, log-uniform), plus the
bremsstrahlung photon spectrum (:func:`mcdose.physics.bremsstrahlung.bremsstrahlung_dcs`) and the
Goudsmit-Saunderson q-surface (:func:`mcdose.physics.elastic.gs_table`).

All energy tables are interpolated linearly in ln E (the values, not their logs), as in
:mod:`mcdose.photon_data`: exact sums of partial cross sections and zeros allowed (below
thresholds).  The range is the integral of 1/dedx (trapezoid in ln E,
:func:`mcdose.physics.material_tables.range_integral`), interpolated linearly in ln E too, so the
kernel can invert it exactly; below the first node dedx is a power law E^-p fitted to the first
two nodes and the range is R_0 (E/E_0)^(1 + p).

Bremsstrahlung is the same for positrons as for electrons (the tables hold the electron DCS; the
e+/e- difference, a few per cent below 1 MeV, is neglected, as in EGSnrc without its positron
correction).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .errors import InputError
from .kernels.codes import ANNIHILATION, BREMS, DELTA, E_MINUS, E_PLUS
from .physics import elastic, elastic_spin
from .physics.bremsstrahlung import bremsstrahlung_dcs
from .physics.material_tables import power_law_exponent, range_integral, spin_tables, tables

__all__ = ["ElectronData", "build_electron_data", "E_MINUS", "E_PLUS", "DELTA", "BREMS", "ANNIHILATION",
           "N_BREMS_X"]

N_BREMS_X = 129                           # nodes of the bremsstrahlung x grid
RR_YIELD = 1e-3                           # range rejection: the largest radiation yield of a rejected electron


class ElectronData(NamedTuple):
    """Electron and positron tables of ``n_mat`` materials (index ``mat`` = position in the list).

    Energy grid: ``energy[i] = exp(ln_e_min + i / inv_dln_e)``, kinetic energy, MeV.
    ``dedx[mat, p, i]``: restricted total stopping power (restricted collision for p = E_MINUS /
    E_PLUS plus restricted radiative), MeV cm²/g; unrestricted with ``discrete=False``.
    ``range[mat, p, i]``: integral of dE/dedx from 0, g/cm²; ``range_exponent[mat, p]`` = 1 + p_low,
    the power of the range below ``energy[0]`` (R = range[., ., 0] (E/energy[0])^range_exponent).
    ``sigma[mat, p, k, i]``: discrete cross sections per gram, cm²/g, k = DELTA (Moller for e-, Bhabha
    for e+, delta rays above delta_threshold), BREMS (photons above brems_threshold, same for e+ and
    e-), ANNIHILATION (in flight, positrons only); all zero with ``discrete=False``.
    ``sigma_max[mat, p, i]``: majorant of sum_k sigma over [energy[i] (1 - max_step_loss)(1 - 1e-3),
    energy[i + 1]] (as interpolated by the kernels).
    ``eta, sigma_el, sigma_1 [mat, p, i]``: screening parameter, total elastic and first transport cross
    sections per gram (cm²/g): screened Rutherford (:mod:`mcdose.physics.elastic`), the same for e- and e+,
    or with ``spin`` the spin-corrected ones and the proposal's eta' (:mod:`mcdose.physics.elastic_spin`).
    ``spin``: whether multiple-scattering angles are corrected for spin by rejection with
    ``spin_rho[mat, p, c, k, j]`` on the coarse energy nodes c (every ``spin_step``-th node of ``energy``),
    step moments ``spin_q1[k]`` and ``spin_v[j]`` (v = sqrt(mu)); ``spin_rho_max[mat, p, c, k]`` bounds rho
    over coarse nodes c, c + 1 and step-moment nodes k, k + 1. Size-one placeholders without spin.
    ``brems_x[j]``: x in [0, 1], photon energy k = brems_threshold (T / brems_threshold)^x; nodes
    x = 1 - (1 - s)^3, s uniform (k dsigma/dk falls like a logarithm over the last 1e-3 of the
    spectrum): the piecewise-linear cdf is within 1e-5 of the exact one (water, lead, 20 keV - 50 MeV);
    ``brems_pdf[mat, i, j]``: k dsigma/dk at energy[i], normalised to unit integral over x (piecewise
    linear in x); ``brems_cdf[mat, i, j]``: its exact running integral (0 ... 1).  Zero rows where
    energy[i] <= brems_threshold.
    GS q-surface (:class:`mcdose.physics.elastic.GSTable`): ``gs_ln_lambda`` (n_l,), ``gs_q1`` (n_q,),
    ``gs_u`` (n_u,), ``gs_ln_omega2`` (n_l, n_q) = ln omega², ``gs_pdf`` (n_l, n_q, n_u) piecewise linear in u with unit
    integral, ``gs_cdf`` its exact running integral.
    ``delta_threshold``, ``brems_threshold`` (MeV), ``max_step_loss`` (fraction of E).
    ``rr_energy[mat]``: MeV, the highest energy at which range rejection may deposit an electron on the spot:
    below it the radiation yield Y(E) (the fraction of E an electron slowing down from E radiates, CSDA,
    ICRU Report 37) is at most RR_YIELD, so the bremsstrahlung a rejected electron would still emit is at most
    that fraction of its energy (EGSnrc's ESAVE, chosen per material: about 150 keV in water, about the
    production threshold in gold and lead, whose electrons radiate the photons behind a shielding disk).
    ``brems_enhancement``: the factor f >= 1 the discrete bremsstrahlung cross section in ``sigma`` (and so
    ``sigma_max``) is multiplied by (bremsstrahlung cross-section enhancement, BCSE: the kernels give each photon
    1/f of the weight and take its energy from the electron with probability 1/f; 1 = analog).
    """

    ln_e_min: float
    inv_dln_e: float
    energy: np.ndarray
    dedx: np.ndarray
    range: np.ndarray
    range_exponent: np.ndarray
    sigma: np.ndarray
    sigma_max: np.ndarray
    eta: np.ndarray
    sigma_el: np.ndarray
    sigma_1: np.ndarray
    brems_x: np.ndarray
    brems_pdf: np.ndarray
    brems_cdf: np.ndarray
    gs_ln_lambda: np.ndarray
    gs_q1: np.ndarray
    gs_u: np.ndarray
    gs_ln_omega2: np.ndarray
    gs_pdf: np.ndarray
    gs_cdf: np.ndarray
    spin: bool
    spin_step: int
    spin_q1: np.ndarray
    spin_v: np.ndarray
    spin_rho: np.ndarray
    spin_rho_max: np.ndarray
    delta_threshold: float
    brems_threshold: float
    max_step_loss: float
    rr_energy: np.ndarray
    brems_enhancement: float = 1.0


def _running_integral(pdf: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Exact running integral of a piecewise-linear pdf on nodes x (last axis)."""
    steps = 0.5 * (pdf[..., 1:] + pdf[..., :-1]) * np.diff(x)
    return np.concatenate([np.zeros(pdf.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)


def _normalised(pdf: np.ndarray, x: np.ndarray) -> tuple:
    """(pdf, cdf) scaled to unit integral; rows of zero integral stay zero."""
    cdf = _running_integral(pdf, x)
    total = cdf[..., -1:]
    scale = np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), 0.0)
    cdf = cdf * scale
    cdf[..., -1] = np.where(total[..., 0] > 0, 1.0, 0.0)
    return pdf * scale, cdf


def _brems_table(material, energy: np.ndarray, kc: float, x: np.ndarray) -> tuple:
    """(pdf, cdf) in x of k dsigma/dk, k = kc (T/kc)^x, per energy node (zero rows for T <= kc)."""
    above = energy > kc
    T = energy[above][:, None]
    k = np.minimum(kc * (T / kc) ** x[None, :], T)
    pdf = np.zeros((energy.size, x.size))
    pdf[above] = k * bremsstrahlung_dcs(material, np.broadcast_to(T, k.shape), k)
    return _normalised(pdf, x)


def _range_rejection_energy(energy: np.ndarray, s_col: np.ndarray, s_rad: np.ndarray) -> float:
    """MeV: the highest grid energy below which every radiation yield Y(E) = (1/E) int_0^E S_rad / S_tot dT is
    <= RR_YIELD (trapezoid from energy[0] up; the part below energy[0] is neglected); 0 if Y(energy[1]) is not."""
    ratio = s_rad / (s_col + s_rad)
    radiated = np.concatenate([[0.0], np.cumsum(0.5 * (ratio[1:] + ratio[:-1]) * np.diff(energy))])
    over = np.flatnonzero(radiated / energy > RR_YIELD)
    return float(energy[over[0] - 1]) if over.size else float(energy[-1])


def _majorant(total: np.ndarray, energy: np.ndarray, inv_dln_e: float, max_step_loss: float) -> np.ndarray:
    """sigma_max[..., i] = max of the nodes of intervals meeting [E_i (1 - loss)(1 - 1e-3), E_{i+1}].

    The kernel's sigma is piecewise linear in ln E between nodes (clamped below energy[0]), so its
    maximum over an interval is at most the largest node value of the intervals that meet it; a
    relative margin of 1e-12 covers the rounding of that interpolation (a flat stretch of sigma,
    e.g. lead's bremsstrahlung near 4 MeV, otherwise exceeds its node value by one ulp).
    """
    n = energy.size
    lo = np.log(energy * (1.0 - max_step_loss) * (1.0 - 1e-3))
    first = np.clip(np.floor((lo - math.log(energy[0])) * inv_dln_e).astype(int), 0, n - 1)
    last = np.minimum(np.arange(n) + 1, n - 1)
    out = np.empty_like(total)
    for i in range(n):
        out[..., i] = total[..., first[i]:last[i] + 1].max(axis=-1)
    return out * (1.0 + 1e-12)


def _node_pair_max(rho: np.ndarray) -> np.ndarray:
    """Bound [mat, p, c, k] of rho[mat, p, c', k', :] over c' in {c, c + 1} and k' in {k, k + 1} (the last node
    alone), times 1 + 1e-12: the largest value the interpolation inside that cell can take."""
    out = rho.max(axis=4)
    for axis in (2, 3):
        pair = np.moveaxis(out, axis, 0).copy()
        pair[:-1] = np.maximum(pair[:-1], pair[1:])
        out = np.moveaxis(pair, 0, axis)
    return np.ascontiguousarray(out) * (1.0 + 1e-12)


def build_electron_data(materials, delta_threshold: float = 0.010, brems_threshold: float = 0.010,
                        max_step_loss: float = 0.25, discrete: bool = True,
                        brems_enhancement: float = 1.0, spin: bool = False) -> ElectronData:
    """Electron/positron tables of ``materials`` (:class:`Material`, ids or aliases) for the kernels.

    delta_threshold, brems_threshold: MeV, production thresholds of delta rays (kinetic) and
    bremsstrahlung photons; max_step_loss: the largest fractional energy loss of one step (sets the
    reach of ``sigma_max``).  ``discrete=False`` switches discrete events off: unrestricted
    stopping powers, zero discrete cross sections (the CSDA limit). ``brems_enhancement`` f >= 1 multiplies the
    discrete bremsstrahlung cross section (BCSE, see :class:`ElectronData`); the continuous (restricted) losses
    are unchanged. ``spin`` switches on the spin (Mott) correction of elastic scattering.
    """
    if not (0.0 < max_step_loss < 1.0):
        raise InputError(f"max_step_loss: {max_step_loss!r} is not allowed: fraction of E, must be > 0 and < 1")
    if not brems_enhancement >= 1.0:
        raise InputError(f"brems_enhancement: {brems_enhancement!r} is not allowed: a factor, must be >= 1")
    tabs = [tables(m, delta_threshold, brems_threshold) for m in materials]
    energy = tabs[0].arrays["electron_energy"]
    n_mat, n_e = len(tabs), energy.size
    inv_dln_e = (n_e - 1) / math.log(energy[-1] / energy[0])
    brems_x = 1.0 - (1.0 - np.linspace(0.0, 1.0, N_BREMS_X)) ** 3   # crowded toward the spectrum tip x = 1

    dedx = np.zeros((n_mat, 2, n_e))
    rng = np.zeros((n_mat, 2, n_e))
    exponent = np.zeros((n_mat, 2))
    sigma = np.zeros((n_mat, 2, 3, n_e))
    eta, sigma_el, sigma_1 = (np.zeros((n_mat, 2, n_e)) for _ in range(3))
    n_c = (n_e - 1) // elastic_spin.SPIN_ENERGY_STEP + 1 if spin else 1
    shape = (n_mat, 2, n_c, elastic_spin.SPIN_Q1.size, elastic_spin.SPIN_V.size) if spin else (1, 1, 1, 1, 2)
    spin_rho = np.ones(shape)
    brems_pdf = np.zeros((n_mat, n_e, N_BREMS_X))
    brems_cdf = np.zeros((n_mat, n_e, N_BREMS_X))
    rr_energy = np.zeros(n_mat)
    for m, t in enumerate(tabs):
        a = t.arrays
        if discrete:
            dedx[m, 0] = a["restricted_s_col"] + a["restricted_s_rad"]
            dedx[m, 1] = a["restricted_s_col_positron"] + a["restricted_s_rad"]
            sigma[m, 0, DELTA] = a["sigma_moller"]
            sigma[m, 1, DELTA] = a["sigma_bhabha"]
            sigma[m, :, BREMS] = a["sigma_brems"] * brems_enhancement
            sigma[m, 1, ANNIHILATION] = a["sigma_annihilation"]
        else:
            dedx[m, 0] = a["s_col"] + a["s_rad"]
            dedx[m, 1] = a["s_col_positron"] + a["s_rad"]
        for p in range(2):
            rng[m, p] = range_integral(energy, dedx[m, p])
            exponent[m, p] = 1.0 + power_law_exponent(energy, dedx[m, p])
        if spin:
            st = spin_tables(t.material)
            eta[m], sigma_el[m], sigma_1[m] = st["eta"], st["sigma"], st["sigma_1"]
            spin_rho[m] = st["rho"]
        else:
            eta[m], sigma_el[m], sigma_1[m] = a["elastic_eta"], a["elastic_sigma"], a["elastic_sigma_1"]
        brems_pdf[m], brems_cdf[m] = _brems_table(t.material, energy, brems_threshold, brems_x)
        rr_energy[m] = _range_rejection_energy(energy, a["s_col"], a["s_rad"])
    sigma_max = _majorant(sigma.sum(axis=2), energy, inv_dln_e, max_step_loss)

    gs = elastic.gs_table()
    gs_pdf, gs_cdf = _normalised(np.array(gs.q), gs.u)
    c = np.ascontiguousarray
    return ElectronData(
        ln_e_min=math.log(energy[0]), inv_dln_e=inv_dln_e, energy=c(energy),
        dedx=dedx, range=rng, range_exponent=exponent, sigma=sigma, sigma_max=c(sigma_max),
        eta=eta, sigma_el=sigma_el, sigma_1=sigma_1,
        brems_x=brems_x, brems_pdf=brems_pdf, brems_cdf=brems_cdf,
        gs_ln_lambda=np.array(gs.ln_lambda), gs_q1=np.array(gs.q1), gs_u=np.array(gs.u),   # writable copies
        gs_ln_omega2=np.log(gs.omega2), gs_pdf=gs_pdf, gs_cdf=gs_cdf,
        spin=bool(spin), spin_step=elastic_spin.SPIN_ENERGY_STEP, spin_q1=np.array(elastic_spin.SPIN_Q1),
        spin_v=np.array(elastic_spin.SPIN_V if spin else [0.0, 1.0]), spin_rho=spin_rho,
        spin_rho_max=_node_pair_max(spin_rho),
        delta_threshold=float(delta_threshold), brems_threshold=float(brems_threshold),
        max_step_loss=float(max_step_loss), rr_energy=rr_energy, brems_enhancement=float(brems_enhancement))
