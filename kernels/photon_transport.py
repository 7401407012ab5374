"""Photon transport (Numba): one photon from its start to absorption or escape.

Tracking: the number of mean free paths to the next interaction is sampled
once (-ln u) and spent region by region, each cell crossed exactly with the
geometry kernels; in a voxel lattice, Woodcock (delta) tracking against the
lattice majorant for analog scoring, voxel-by-voxel ray tracing for
track-length scoring. At an interaction the process is chosen from the partial
cross sections and sampled by :mod:`.photon_interactions`.

Charged secondaries (photo-, Compton and pair electrons, positrons) go on the
particle stack for condensed-history transport when ``settings.electrons`` is
set and their energy exceeds the electron cut-off; otherwise they deposit their
kinetic energy on the spot (kerma approximation). Fluorescence and annihilation
photons are transported; photons below the photon cut-off deposit on the spot
(scored by both estimators).

Scoring: ``analog`` adds each local deposit to the mesh bin where it happens;
``tracklength`` adds E mu_en(E) rho l (times the photon's weight, as every score) along every
flight segment l (cm) split into mesh bins -- the expected kerma, which is the dose where secondary
electrons are short-ranged (Williamson, Med. Phys. 14 (1987) 567; egs_brachy,
Chamberland et al., PMB 61 (2016) 8214).
"""
import math

import numpy as np

from ._jit import jit
from .codes import (ELECTRON, ESCAPED, INCOHERENT, LOST_COUNT, LOST_ENERGY, MEC2, N_COUNTERS, PAIR, PHOTOELECTRIC,
                    PHOTON, POSITRON)
from .electron_interactions import sample_sauter_cos
from .geometry import cell_exit, cross, distance_to_boundary, medium, region_importance, voxel_index
from .mesh import trace_mesh
from .photon_interactions import (isotropic_direction, mu_en, mu_total, rotate, sample_compton,
                                  sample_pair, sample_photoelectric, sample_rayleigh, select_interaction)
from .rng import uniform
from .tally import deposit, push, score_planes, units
from .weights import enter_importance, roulette

MAX_STEPS = 100_000           # region crossings of one photon before it is declared lost


@jit
def _score_track(mesh, tally, counters, region, x, y, z, u, v, w, length, e_per_cm, seg_len, seg_idx):
    """Track-length kerma: e_per_cm (MeV/cm) times the path length in each mesh bin and in the scoring region."""
    counters[N_COUNTERS + region] += units(e_per_cm * length)
    n = trace_mesh(mesh, x, y, z, u, v, w, length, seg_len, seg_idx)
    for k in range(n):
        if seg_idx[k] >= 0:
            tally[seg_idx[k]] += units(e_per_cm * seg_len[k])


@jit
def _lattice_mu_max(pdata, lattice_materials, rho_max, e):
    """Woodcock majorant (1/cm) of the lattice at energy e: max_m mu_m/rho(e) times the largest density."""
    mu = 0.0
    for m in lattice_materials:
        mu = max(mu, mu_total(pdata, m, e))
    return mu * rho_max


@jit
def _charged(mesh, tally, counters, region, stack, n, x, y, z, u, v, w, t, kind, wt, state, settings):
    """A charged secondary of kinetic energy t (MeV) and weight wt in scoring region ``region``: onto the
    stack, or deposited on the spot.

    Deposited when electrons are not transported (kerma approximation) or t is not above the
    electron cut-off; a positron deposited on the spot still annihilates at rest: two 511 keV
    photons back to back, isotropic. Returns the new stack size (-1: stack full).
    """
    if settings.electrons and t > settings.electron_cutoff:
        return push(stack, n, x, y, z, u, v, w, t, kind, wt)
    if t > 0.0:
        deposit(mesh, tally, counters, region, x, y, z, t, wt, settings.analog)
    if kind == POSITRON:
        au, av, aw = isotropic_direction(state)
        n = push(stack, n, x, y, z, au, av, aw, MEC2, PHOTON, wt)
        n = push(stack, n, x, y, z, -au, -av, -aw, MEC2, PHOTON, wt)
    return n


@jit(inline="always")
def track_photon(geo, mesh, pdata, x, y, z, u, v, w, e, wt, state, stack, n_stack, tally, counters,
                 settings, lattice_materials, rho_max, seg_len, seg_idx, planes, records, rec_n):
    """Transport one photon of weight wt to absorption or escape (its scores and secondaries carry
    wt); returns the new stack size (-1: stack full). Inlined into the history loop (its one caller): the call
    passed about 470 words of flattened bundles per photon, 7-10 % of an analog 50 keV photon history. Every
    flight is offered to the plane scorers
    (planes, records, rec_n: :func:`.tally.score_planes`). Lighter than ``settings.photon_roulette`` over its
    region's importance, it is first played Russian roulette; entering a region of another importance, it is
    split or played roulette (:mod:`.weights`).

    Inside the voxel lattice with ``settings.woodcock`` set, flights are sampled against the
    lattice's majorant and accepted as real interactions with probability mu(voxel)/mu_max
    (Woodcock et al., Proc. Conf. Applications of Computing Methods to Reactor Problems, ANL-7050
    (1965) 557); the voxel walls are then never computed. Elsewhere, and always for track-length
    scoring (which needs the medium of every piece of the flight), flights are ray-traced region
    by region.

    Directions of charged secondaries: Compton electron from momentum conservation (free
    electron at rest); photoelectron from the Sauter distribution about the photon direction
    with a kinetic energy equal to everything not carried by fluorescence (Auger energy lumped
    in, a few keV at most for lead); pair electron and positron along the photon direction
    (their mean angle is ~ mc²/E). A Compton electron deposited on the spot gets no direction (the
    photoelectron's is still drawn: skipping it would shift the random numbers of the fluorescence
    that follows).
    """
    analog = settings.analog
    woodcock = settings.woodcock and analog
    lattice = geo.lat_cell[0]
    cell, voxel = cross(geo, x, y, z, u, v, w)
    imp = region_importance(geo, geo.cell_region[cell])   # the importance its weight belongs to
    if settings.photon_roulette > 0.0:
        wt = roulette(wt, settings.photon_roulette / imp, state)
        if wt == 0.0:
            return n_stack
    mfp = -math.log(uniform(state))
    for _ in range(MAX_STEPS):
        if cell < 0:
            counters[ESCAPED] += units(e * wt)
            return n_stack
        if region_importance(geo, geo.cell_region[cell]) != imp:   # entered another importance: split or roulette
            return enter_importance(stack, n_stack, x, y, z, u, v, w, e, PHOTON, wt,
                                    region_importance(geo, geo.cell_region[cell]) / imp, state)
        if woodcock and cell == lattice:
            d = cell_exit(geo, cell, x, y, z, u, v, w)
        else:
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w)
        if not d > 0.0:                       # not inside for this direction: relocate
            cell, voxel = cross(geo, x, y, z, u, v, w)
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w) if cell >= 0 else 1.0
            if not d > 0.0:
                break
            continue
        if woodcock and cell == lattice:
            mu_max = _lattice_mu_max(pdata, lattice_materials, rho_max, e)
            t = mfp / mu_max if mu_max > 0.0 else np.inf
            if t >= d:
                mfp -= d * mu_max
                score_planes(planes, records, rec_n, x, y, z, u, v, w, d, e, 0.0, wt, PHOTON)
                x, y, z = x + d * u, y + d * v, z + d * w
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
            score_planes(planes, records, rec_n, x, y, z, u, v, w, t, e, 0.0, wt, PHOTON)
            x, y, z = x + t * u, y + t * v, z + t * w
            voxel = voxel_index(geo, x, y, z, u, v, w)
            mat, rho = medium(geo, cell, voxel)
            mfp = -math.log(uniform(state))
            if mat < 0 or uniform(state) * mu_max >= mu_total(pdata, mat, e) * rho:
                continue                      # virtual collision: fly on
        else:
            mat, rho = medium(geo, cell, voxel)
            if mat < 0 or rho <= 0.0:         # vacuum: straight to the next region
                score_planes(planes, records, rec_n, x, y, z, u, v, w, d, e, 0.0, wt, PHOTON)
                x, y, z = x + d * u, y + d * v, z + d * w
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
            mu = mu_total(pdata, mat, e) * rho
            t = mfp / mu
            step = t if t < d else d
            if not analog:
                _score_track(mesh, tally, counters, geo.cell_region[cell], x, y, z, u, v, w, step,
                             e * mu_en(pdata, mat, e) * rho * wt, seg_len, seg_idx)
            score_planes(planes, records, rec_n, x, y, z, u, v, w, step, e, 0.0, wt, PHOTON)
            x, y, z = x + step * u, y + step * v, z + step * w
            if t >= d:
                mfp -= d * mu
                cell, voxel = cross(geo, x, y, z, u, v, w)
                continue
        # --- interaction
        region = geo.cell_region[cell]
        process = select_interaction(pdata, mat, e, state)
        if process == PHOTOELECTRIC:
            e_local, e_fluor = sample_photoelectric(pdata, mat, e, state)
            cos_e = sample_sauter_cos(e_local, state) if e_local > 0.0 else 1.0
            eu, ev, ew = rotate(u, v, w, cos_e, 2.0 * math.pi * uniform(state))
            n_stack = _charged(mesh, tally, counters, region, stack, n_stack, x, y, z, eu, ev, ew, e_local, ELECTRON,
                               wt, state, settings)
            if e_fluor > 0.0 and n_stack >= 0:
                if e_fluor < settings.photon_cutoff:   # scored in both modes: no flight's mu_en carries it
                    deposit(mesh, tally, counters, region, x, y, z, e_fluor, wt, True)
                else:
                    fu, fv, fw = isotropic_direction(state)
                    n_stack = push(stack, n_stack, x, y, z, fu, fv, fw, e_fluor, PHOTON, wt)
            return n_stack
        if process == PAIR:
            t_minus, t_plus = sample_pair(pdata, mat, e, state)
            n_stack = _charged(mesh, tally, counters, region, stack, n_stack, x, y, z, u, v, w, t_minus, ELECTRON,
                               wt, state, settings)
            return _charged(mesh, tally, counters, region, stack, n_stack, x, y, z, u, v, w, t_plus, POSITRON,
                            wt, state, settings)
        if process == INCOHERENT:
            e_new, cos_t, t_electron = sample_compton(pdata, mat, e, state)
            nu, nv, nw = rotate(u, v, w, cos_t, 2.0 * math.pi * uniform(state))
            pu, pv, pw = u, v, w                  # direction needed only for an electron that is transported
            if settings.electrons and t_electron > settings.electron_cutoff:
                pu, pv, pw = e * u - e_new * nu, e * v - e_new * nv, e * w - e_new * nw   # electron momentum
                norm = math.sqrt(pu * pu + pv * pv + pw * pw)
                if norm > 0.0:
                    pu, pv, pw = pu / norm, pv / norm, pw / norm
            n_stack = _charged(mesh, tally, counters, region, stack, n_stack, x, y, z, pu, pv, pw, t_electron, ELECTRON,
                               wt, state, settings)
            if n_stack < 0:
                return n_stack
            e, u, v, w = e_new, nu, nv, nw
        else:
            cos_t = sample_rayleigh(pdata, mat, e, state)
            u, v, w = rotate(u, v, w, cos_t, 2.0 * math.pi * uniform(state))
        if e < settings.photon_cutoff:            # scored in both modes: no flight's mu_en carries it
            deposit(mesh, tally, counters, region, x, y, z, e, wt, True)
            return n_stack
        mfp = -math.log(uniform(state))       # same cell and voxel: the interaction lies inside them (one
        # within EPS of a surface and now heading out gets distance 0 above and is relocated there)
    counters[LOST_ENERGY] += units(e * wt)
    counters[LOST_COUNT] += 1
    return n_stack
