"""The kernel-side photon data bundle: :class:`PhotonData`, numpy arrays of everything the photon
interaction samplers (``mcdose.kernels.photon_interactions``) need for a list of materials.

Units: MeV, cm²/g, momentum transfer x = sin(theta/2)/lambda in 1/Å (xraylib's convention).

Tables (all from :mod:`mcdose.physics.photon`, plus xraylib's shell and line data):

* Energy grid: log-uniform from E_MIN = 1 keV to E_MAX = 50 MeV, POINTS_PER_DECADE per decade,
  so the interval of E is found in O(1).  Coefficients are interpolated linearly in ln E (the
  values themselves, not their logs): exact sums (the interpolated total equals the sum of the
  interpolated processes), zero values allowed (pair below threshold), and for a power law E^-n
  the error is at most n² h²/8 = 3e-5 for n = 3, h = ln(10)/450.  Intervals holding an
  absorption edge are interpolated across the jump (within 0.5 % of E of the edge).
* Incoherent: S(x)/Z per material (S the atom-averaged incoherent scattering function, Z the
  atom-averaged atomic number) on a log-uniform x grid, linear in ln x; S ∝ x² below the grid,
  S = Z above it.  Made monotone (non-decreasing), so S(x_max) bounds S(x) for x <= x_max.
* Coherent: the atom-averaged F(x)² as a function of q = x² on node 0 plus a log-uniform q grid,
  with its running integral (exact for F² linear between nodes) for inverse-transform sampling
  (the PENELOPE method: Salvat, PENELOPE-2018 manual, NEA/MBDAV/R(2019)1, sec. 2.1).
* Element choice: cumulative per-element shares of the photoelectric and pair cross sections.
* Per element: K, L1, L2, L3 binding energies, fluorescence yields, the cumulative shell
  probabilities of the photo-vacancy (xraylib CS_Photo_Partial / CS_Photo, held at its last value
  above the energy where xraylib's partial cross sections stop, 0.1-0.3 MeV) and each shell's
  fluorescence lines (energies, cumulative radiative rates, RadRate normalised over the lines
  ``<shell><subshell>_LINE`` with a single subshell digit).
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple

import functools

import numpy as np
import xraylib

from .kernels.codes import COHERENT, HC_KEV_A, INCOHERENT, MEC2, PAIR, PHOTOELECTRIC, TOTAL
from .materials import Material
from .physics import photon
from .physics.photon_highenergy import pair_g0 as pair_g0_of
from .physics.photon_highenergy import screening_radius

__all__ = ["PhotonData", "build_photon_data", "PHOTOELECTRIC", "INCOHERENT", "COHERENT", "PAIR", "TOTAL",
           "HC_KEV_A", "E_MIN", "E_MAX", "POINTS_PER_DECADE", "MEC2", "SHELLS"]

_PROCESS_KEYS = ("photoelectric", "incoherent", "coherent", "pair")  # photon.PROCESSES, in row order
SHELLS = ("K", "L1", "L2", "L3")
E_MIN, E_MAX = 1e-3, 50.0        # MeV
POINTS_PER_DECADE = 450
_X_MIN, _X_MAX, _X_PER_DECADE = 1e-4, 1e4, 200   # incoherent S(x) grid, 1/Å
_Q_MIN, _Q_PER_DECADE = 1e-8, 100                # coherent q = x² grid, 1/Å², node 0 at q = 0
_Q_MAX = (1e3 * E_MAX / HC_KEV_A) ** 2           # largest q reached (backscatter at E_MAX)
_LINE = re.compile(r"^(K|L[123])([LMNOPQ])(\d)_LINE$")


class PhotonData(NamedTuple):
    """Photon tables of ``n_mat`` materials for the kernels (index ``mat`` = position in the list).

    Energy grid: ``energy[i] = exp(ln_e_min + i / inv_dln_e)``, MeV.
    ``mu[mat, p, i]``: mass attenuation coefficient (cm²/g) of process p = PHOTOELECTRIC, INCOHERENT,
    COHERENT, PAIR and their TOTAL; ``mu_en[mat, i]``: mu_en/rho, cm²/g.
    ``s_over_z[mat, j]``: S(x)/Z at ln x = ln_x_min + j / inv_dln_x.
    ``coh_q[j]``: q = x² nodes (1/Å², ``coh_q[0] = 0``, then log-uniform from ``exp(ln_q_min)``);
    ``coh_f2[mat, j]``: F² per atom at ``coh_q[j]``; ``coh_cum[mat, j]``: its integral from 0.
    ``n_elements[mat]``, ``element_index[mat, k]`` (into the per-element arrays),
    ``element_cum[mat, c, k, i]``: cumulative probability of elements 0..k for photoelectric
    (c = 0) and pair (c = 1) interactions.
    Per element e: ``element_z[e]``; ``binding[e, s]`` (MeV), ``fluor_yield[e, s]``,
    ``shell_cum[e, s, i]`` (cumulative vacancy probability over K, L1, L2, L3; the rest: outer
    shells), ``n_lines[e, s]``, ``line_energy[e, s, l]`` (MeV), ``line_cum[e, s, l]``;
    ``pair_r[e]``: screening radius (hbar/mc) and ``pair_g0[e, i]``: the constant g0 of the pair
    DCS (:func:`mcdose.physics.photon_highenergy.pair_g0`).
    """

    ln_e_min: float
    inv_dln_e: float
    energy: np.ndarray
    mu: np.ndarray
    mu_en: np.ndarray
    ln_x_min: float
    inv_dln_x: float
    s_over_z: np.ndarray
    ln_q_min: float
    inv_dln_q: float
    coh_q: np.ndarray
    coh_f2: np.ndarray
    coh_cum: np.ndarray
    n_elements: np.ndarray
    element_index: np.ndarray
    element_cum: np.ndarray
    element_z: np.ndarray
    binding: np.ndarray
    fluor_yield: np.ndarray
    shell_cum: np.ndarray
    n_lines: np.ndarray
    line_energy: np.ndarray
    line_cum: np.ndarray
    pair_r: np.ndarray
    pair_g0: np.ndarray


def _log_grid(lo: float, hi: float, per_decade: int) -> np.ndarray:
    n = int(math.ceil(math.log10(hi / lo) * per_decade))
    return np.exp(np.linspace(math.log(lo), math.log(hi), n + 1))


def _element_material(z: int) -> Material:
    return Material(f"Z{z}", 1.0, (z,), (1.0,), 100.0, "pure element (photon data only)")


def _cumulative_shares(parts: np.ndarray) -> np.ndarray:
    """Cumulative shares along axis 0 of non-negative parts (n, ...); 1/n steps where all are zero."""
    total = parts.sum(axis=0)
    fallback = np.ones_like(parts)
    shares = np.where(total > 0, parts / np.where(total > 0, total, 1.0), fallback / len(parts))
    cum = np.cumsum(shares, axis=0)
    cum[-1] = 1.0
    return cum


def _lines(z: int) -> list:
    """[(energies MeV, relative rates)] per shell K, L1, L2, L3 from xraylib."""
    per_shell = {s: ([], []) for s in SHELLS}
    for name in dir(xraylib):
        m = _LINE.match(name)
        if not m:
            continue
        try:
            rate = xraylib.RadRate(z, getattr(xraylib, name))
            energy = xraylib.LineEnergy(z, getattr(xraylib, name))
        except ValueError:
            continue
        if rate > 0 and energy > 0:
            per_shell[m.group(1)][0].append(1e-3 * energy)
            per_shell[m.group(1)][1].append(rate)
    return [(np.array(e), np.array(r)) for e, r in per_shell.values()]


def _incoherent_table(material: Material, zbar: float) -> np.ndarray:
    x = _log_grid(_X_MIN, _X_MAX, _X_PER_DECADE)
    s = np.maximum.accumulate(np.asarray(photon.incoherent_function(material, x)) / zbar)
    return np.minimum(s, 1.0)


def _coherent_table(material: Material, q: np.ndarray) -> tuple:
    f2 = np.asarray(photon.form_factor_squared(material, np.sqrt(q)))
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (f2[1:] + f2[:-1]) * np.diff(q))))
    return f2, cum


@functools.lru_cache(maxsize=64)
def _mu_en_on_grid(material) -> np.ndarray:
    """mu_en/rho (cm²/g) of a material on the photon energy grid; kept in memory, as it costs ~0.2 s a material
    (a process building many problems, such as ``mcdose commission``, computes it once)."""
    out = photon.mu_en_over_rho(material, _log_grid(E_MIN, E_MAX, POINTS_PER_DECADE))
    out.setflags(write=False)
    return out


def build_photon_data(materials) -> PhotonData:
    """Photon tables of ``materials`` (a sequence of :class:`Material`) for the interaction kernels."""
    materials = list(materials)
    energy = _log_grid(E_MIN, E_MAX, POINTS_PER_DECADE)
    x = _log_grid(_X_MIN, _X_MAX, _X_PER_DECADE)
    q_log = _log_grid(_Q_MIN, _Q_MAX, _Q_PER_DECADE)
    q = np.concatenate(([0.0], q_log))
    zs = sorted({z for m in materials for z in m.Z})
    index_of = {z: k for k, z in enumerate(zs)}
    max_el = max(len(m.Z) for m in materials)
    n_mat, n_e = len(materials), energy.size

    mu = np.zeros((n_mat, 5, n_e))
    mu_en = np.zeros((n_mat, n_e))
    s_over_z = np.zeros((n_mat, x.size))
    coh_f2 = np.zeros((n_mat, q.size))
    coh_cum = np.zeros((n_mat, q.size))
    n_elements = np.zeros(n_mat, np.int64)
    element_index = np.zeros((n_mat, max_el), np.int64)
    element_cum = np.ones((n_mat, 2, max_el, n_e))
    per_element = {z: photon.photon_cross_sections(_element_material(z), energy) for z in zs}
    for m, mat in enumerate(materials):
        cs = photon.photon_cross_sections(mat, energy)
        for p, key in enumerate(_PROCESS_KEYS):
            mu[m, p] = cs[key]
        mu[m, TOTAL] = mu[m, :TOTAL].sum(axis=0)
        mu_en[m] = _mu_en_on_grid(mat)
        n_atoms = np.array([w / a for w, a in zip(mat.mass_fractions, mat.A)])
        zbar = float(n_atoms @ np.array(mat.Z, float) / n_atoms.sum())
        s_over_z[m] = _incoherent_table(mat, zbar)
        coh_f2[m], coh_cum[m] = _coherent_table(mat, q)
        n_elements[m] = len(mat.Z)
        element_index[m, :len(mat.Z)] = [index_of[z] for z in mat.Z]
        for c, key in enumerate(("photoelectric", "pair")):
            parts = np.array([w * per_element[z][key] for z, w in zip(mat.Z, mat.mass_fractions)])
            element_cum[m, c, :len(mat.Z)] = _cumulative_shares(parts)

    n_el = len(zs)
    lines = [_lines(z) for z in zs]
    max_lines = max(1, max(len(e) for per in lines for e, _ in per))
    binding = np.zeros((n_el, 4))
    fluor_yield = np.zeros((n_el, 4))
    shell_cum = np.zeros((n_el, 4, n_e))
    pair_r = np.zeros(n_el)
    pair_g0 = np.zeros((n_el, n_e))
    n_lines = np.zeros((n_el, 4), np.int64)
    line_energy = np.zeros((n_el, 4, max_lines))
    line_cum = np.ones((n_el, 4, max_lines))
    for k, z in enumerate(zs):
        sd = photon.shell_data(z)
        binding[k] = sd.binding_energies
        fluor_yield[k] = sd.fluorescence_yields
        shell_cum[k] = np.minimum(np.cumsum(photon.shell_fractions(z, energy).T, axis=0), 1.0)
        pair_r[k] = screening_radius(z)
        pair_g0[k] = pair_g0_of(z, np.maximum(energy, 2.0001 * MEC2))
        for s, (e, r) in enumerate(lines[k]):
            n_lines[k, s] = e.size
            if e.size:
                line_energy[k, s, :e.size] = e
                line_cum[k, s, :e.size] = np.cumsum(r) / r.sum()
                line_cum[k, s, e.size - 1] = 1.0
            else:
                fluor_yield[k, s] = 0.0      # no line data: no fluorescence from this shell

    return PhotonData(
        ln_e_min=math.log(energy[0]), inv_dln_e=(n_e - 1) / math.log(energy[-1] / energy[0]), energy=energy,
        mu=mu, mu_en=mu_en,
        ln_x_min=math.log(x[0]), inv_dln_x=(x.size - 1) / math.log(x[-1] / x[0]), s_over_z=s_over_z,
        ln_q_min=math.log(q_log[0]), inv_dln_q=(q_log.size - 1) / math.log(q_log[-1] / q_log[0]),
        coh_q=q, coh_f2=coh_f2, coh_cum=coh_cum,
        n_elements=n_elements, element_index=element_index, element_cum=element_cum,
        element_z=np.array(zs, np.int64), binding=binding, fluor_yield=fluor_yield, shell_cum=shell_cum,
        n_lines=n_lines, line_energy=line_energy, line_cum=line_cum, pair_r=pair_r, pair_g0=pair_g0)
