"""Electron and positron condensed-history transport (Numba): class II, random-hinge steps.

One charged particle is followed from its start to the electron cut-off, annihilation or
escape (Berger's class II scheme, M. J. Berger, Methods Comput. Phys. 1 (1963) 135, as in
EGSnrc and PENELOPE):

* Continuous energy loss with the restricted stopping power below the delta-ray and
  bremsstrahlung thresholds, applied through the restricted range table (the energy after a
  path s is the exact inverse of the tabulated range, so the CSDA range is reproduced); no
  sub-threshold straggling (as EGSnrc).
* Discrete Moller (e-) / Bhabha (e+) delta rays, bremsstrahlung photons and positron
  annihilation in flight, sampled with a majorant cross section: the distance to the next
  event is drawn against sigma_max, valid over every energy a step can reach; at the end of
  such a step the event is real with probability sigma(E)/sigma_max (fictitious otherwise).
  Positrons annihilate at rest below the cut-off (two 511 keV photons).
* Multiple elastic scattering: the Goudsmit-Saunderson distribution of screened Rutherford
  scattering (Moliere screening) for the whole step, evaluated at the step's mid-point energy,
  applied at a random hinge: the particle flies tau = xi s along its direction, is deflected,
  and flies the remaining s - tau (J. M. Fernandez-Varea, R. Mayol, J. Baro, F. Salvat, NIM B
  73 (1993) 447; PENELOPE-2018 manual, NEA/MBDAV/R(2019)1, sec. 4.3). Chosen over PRESTA-II
  because it needs no path-length or lateral-displacement model: the hinge position, uniform
  on the step, reproduces the first moments <z> and <x^2 + y^2> of the exact spatial
  distribution to second order in the step (ibid.), and it makes boundary crossing exact: a
  segment that meets a surface stops there, energy loss is charged for the distance actually
  flown, and a new step starts in the next region with its own data (PENELOPE's algorithm).
  Without any skin depth it passes the Fano test within 0.3 % with the default steps and
  0.1 % with steps four times finer (tests/physics/test_electron_transport.py).
* Step control: at most ``max_step_loss`` of the energy lost per step, a first GS moment
  lambda G1 (= s / transport mean free path) of at most ``max_step_q1``, the distance to the
  next discrete event and to the cut-off, and at most the region's longest step (``region_params``);
  geometry boundaries end segments as above. A step longer than a layer crosses it undeflected
  with probability 1 - thickness / step (the hinge falls beyond the far face): right in the mean
  square angle, but a spike of unscattered particles behind a 25 um window. Scene parts therefore
  cap the step at a tenth of their thinnest extent (PENELOPE's DSMAX rule, NEA-1525;
  mcdose.geometry.scene.MAX_STEP_FRACTION); the phantom has no cap.
* Range rejection (``settings.range_rejection``): a particle whose residual range (restricted,
  so longer than its CSDA range) is shorter than the isotropic safety distance to its geometry
  region's boundary, to its mesh bin's walls (outside the mesh: to the mesh) and to every plane
  scorer that would record it deposits its energy on the spot: every dose it could give stays in
  that bin (or outside the mesh), in that region, and no plane misses it. What is lost is the
  bremsstrahlung it would still emit (it is deposited instead), so only electrons below their material's ``edata.rr_energy`` are rejected, where the
  radiation yield is at most 0.1 % (about 150 keV in water; in gold and lead about the production
  threshold, so that electrons stopping in a target or shielding disk emit their photons), as EGSnrc's
  range rejection below ESAVE (PIRS-701).
* Scoring: the energy lost along each straight segment is split between the mesh bins the
  segment crosses in proportion to the length in each (docs/architecture.md: a step never
  smears energy across voxels).

Energy balance: a positron counts as T + 2 mc² (kinetic plus the annihilation energy it
carries), so emitted + created = deposited + escaped holds to the fixed-point quantum.
"""
import math

import numpy as np

from ._jit import jit
from .codes import (BREMS, DELTA, DEPOSITED, E_MINUS, E_PLUS, ELECTRON, LOST_COUNT, LOST_ENERGY, MEC2, N_COUNTERS,
                    PHOTON, POSITRON, RADIATED, RANGE_REJECTED, STEP_BOUNDARY, STEP_CUTOFF, STEP_DISCRETE,
                    STEP_FICTITIOUS, STEP_LOSS, STEP_Q1, STEP_REGION, STEP_VACUUM)
from .electron_interactions import (delta_cosines, discrete_sigma, elastic_params, energy_at, grid_t, interval,
                                    max_sigma, range_of, range_t, sample_annihilation, sample_bhabha,
                                    sample_brems_cos, sample_brems_energy, sample_moller, sample_elastic_mu,
                                    select_discrete, t_of_range)
from .geometry import cross, distance_to_boundary, medium, region_importance, region_max_step, safety
from .mesh import mesh_safety, trace_mesh
from .photon_interactions import isotropic_direction, rotate
from .rng import uniform
from .tally import deposit, escape, push, score_planes, units
from .weights import enter_importance, roulette

MAX_STEPS = 1_000_000         # steps of one charged particle before it is declared lost
_NONE, _DISCRETE, _CUTOFF = 0, 1, 2


@jit
def _segment(mesh, tally, counters, region, x, y, z, u, v, w, length, de, wt, analog, seg_len, seg_idx, known):
    """Deposit de MeV of weight wt lost along a straight segment in scoring region ``region``: split over
    the mesh bins by length. ``known``: the mesh bin holding (x, y, z) (the last bin of the particle's previous
    segment), or -1 to locate it. Returns the bin holding the segment's end, -1 when not known."""
    if de <= 0.0:
        return -1
    if not analog or length <= 0.0:
        deposit(mesh, tally, counters, region, x, y, z, de, wt, analog)
        return -1
    units_de = units(de * wt)
    counters[DEPOSITED] += units_de
    counters[N_COUNTERS + region] += units_de
    n = trace_mesh(mesh, x, y, z, u, v, w, length, seg_len, seg_idx, known)
    per_cm = de * wt / length
    for k in range(n):
        if seg_idx[k] >= 0:
            tally[seg_idx[k]] += units(per_cm * seg_len[k])
    return seg_idx[n - 1] if n > 0 else -1


@jit
def _plane_safety(planes, x, y, z, e, kind):
    """Distance (cm) from (x, y, z) to the nearest scoring plane that records a particle of ``kind`` at e MeV
    (:func:`.tally.score_planes`); inf if none does."""
    d = np.inf
    for i in range(planes.shape[0]):
        if planes[i, 4 + kind] != 0.0 and e >= planes[i, 7]:
            d = min(d, abs(planes[i, 0] * x + planes[i, 1] * y + planes[i, 2] * z - planes[i, 3]))
    return d


@jit
def _trapped(mesh, planes, x, y, z, e, kind, reach, region_safety, known):
    """Range rejection test: True if ``reach`` (cm, the residual range) is shorter than ``region_safety`` (cm,
    to the geometry region's boundary), than the mesh safety (inside the mesh its bin's walls, outside it the
    distance to the mesh; ``known``: the bin holding the point, or -1) and than the distance to every plane
    scorer that would record the particle."""
    return (reach < region_safety and reach < mesh_safety(mesh, x, y, z, known)
            and reach < _plane_safety(planes, x, y, z, e, kind))


@jit
def _energy_left(edata, mat, p, target, j):
    """Kinetic energy (MeV) whose range is ``target`` g/cm2 (0 at or below 0); j: an interval nearby."""
    if target <= 0.0:
        return 0.0
    return energy_at(edata, t_of_range(edata, mat, p, target, j))


@jit
def _secondary(geo, mesh, planes, edata, mat, rho, cell, voxel, tally, counters, stack, n, x, y, z, u, v, w, e,
               kind, wt, settings):
    """A delta ray (ELECTRON) or bremsstrahlung photon (PHOTON) of weight wt: onto the stack, or deposited on
    the spot below its cut-off or when range rejection traps it. Returns the new stack size (-1: full)."""
    cut = settings.photon_cutoff if kind == PHOTON else settings.electron_cutoff
    if e > cut and not (kind == ELECTRON and settings.range_rejection and e <= edata.rr_energy[mat]
                        and _trapped(mesh, planes, x, y, z, e, kind, range_of(edata, mat, E_MINUS, e) / rho,
                                     safety(geo, cell, voxel, x, y, z), -1)):
        return push(stack, n, x, y, z, u, v, w, e, kind, wt)
    deposit(mesh, tally, counters, geo.cell_region[cell], x, y, z, e, wt, settings.analog)
    return n


@jit
def _aimed(settings, x, y, z, u, v, w) -> bool:
    """The ray from (x, y, z) along the unit (u, v, w) meets the splitting field's sphere (cm)."""
    dx, dy, dz = settings.field_x - x, settings.field_y - y, settings.field_z - z
    d2, t, r2 = dx * dx + dy * dy + dz * dz, dx * u + dy * v + dz * w, settings.field_radius * settings.field_radius
    return d2 <= r2 or (t > 0.0 and d2 - t * t <= r2)


@jit
def _brems_photons(geo, mesh, planes, edata, mat, rho, cell, voxel, tally, counters, stack, n, x, y, z, u, v, w, e, k,
                   phi, wt, settings, state):
    """The photons of a bremsstrahlung event of an electron of e MeV moving along (u, v, w) that loses k MeV:
    one of weight wt (azimuth phi), or with uniform splitting (``settings.brems_split`` = N > 1) N of weight
    wt / N, the first of energy k and the others each sampled afresh (energy and angle), so that the photon
    yield, spectrum and angles are unbiased while the electron loses k (EGSnrc's uniform bremsstrahlung
    splitting: I. Kawrakow, D. W. O. Rogers, B. R. B. Walters, Med. Phys. 31 (2004) 2883). With a splitting
    field (``settings.field_radius`` > 0) a split photon not aimed at the field's sphere is played Russian
    roulette: it survives with probability 1/N at weight wt (the idea of EGSnrc's directional bremsstrahlung
    splitting, same paper, with a sphere for the field). The weighted energies of the photons kept go to the
    RADIATED counter. Returns the stack size (-1: full)."""
    split = settings.brems_split
    ws = wt / split
    for j in range(split):
        kj = k if j == 0 else sample_brems_energy(edata, mat, e, state)
        az = phi if j == 0 else 2.0 * math.pi * uniform(state)
        gu, gv, gw = rotate(u, v, w, sample_brems_cos(e, kj, state), az)
        wj = ws
        if settings.field_radius > 0.0 and not _aimed(settings, x, y, z, gu, gv, gw):
            if uniform(state) * split >= 1.0:
                continue
            wj = wt
        counters[RADIATED] += units(kj * wj)
        n = _secondary(geo, mesh, planes, edata, mat, rho, cell, voxel, tally, counters, stack, n, x, y, z, gu, gv,
                       gw, kj, PHOTON, wj, settings)
        if n < 0:
            return n
    return n


@jit
def _lost(counters, n_stack, e, kind, wt):
    """A particle stuck on a surface or out of steps: its energy times wt goes to the 'lost' counters."""
    counters[LOST_ENERGY] += units((e + 2.0 * MEC2 if kind == POSITRON else e) * wt)
    counters[LOST_COUNT] += 1
    return n_stack


@jit
def _annihilate_at_rest(stack, n, x, y, z, wt, state):
    au, av, aw = isotropic_direction(state)
    n = push(stack, n, x, y, z, au, av, aw, MEC2, PHOTON, wt)
    return push(stack, n, x, y, z, -au, -av, -aw, MEC2, PHOTON, wt)


@jit
def track_electron(geo, mesh, edata, x, y, z, u, v, w, e, wt, kind, state, stack, n_stack, tally, counters,
                   settings, seg_len, seg_idx, planes, records, rec_n):
    """Transport one electron (kind ELECTRON) or positron (POSITRON) of kinetic energy e (MeV) and
    weight wt (carried by its scores and secondaries) from (x, y, z) along (u, v, w); returns the
    new stack size (-1: stack full). Lighter than ``settings.charged_roulette`` over its region's importance, it
    is first played Russian roulette; entering a region of another importance, it is split or played roulette
    (:mod:`.weights`). Every straight segment is offered to the plane scorers (planes,
    records, rec_n: :func:`.tally.score_planes`), the energy at a crossing interpolated along it."""
    p = E_MINUS if kind == ELECTRON else E_PLUS
    ecut = settings.electron_cutoff
    msc = settings.multiple_scattering
    analog = settings.analog
    cell, voxel = cross(geo, x, y, z, u, v, w)
    imp = region_importance(geo, geo.cell_region[cell])   # the importance its weight belongs to
    if settings.charged_roulette > 0.0:
        wt = roulette(wt, settings.charged_roulette / imp, state)
        if wt == 0.0:
            return n_stack
    n_left = -math.log(uniform(state))       # mean free paths (of sigma_max) to the next discrete event
    dt_loss = math.log(1.0 - settings.max_step_loss) * edata.inv_dln_e   # grid steps of the largest loss
    cut_mat, r_cut = -1, 0.0                  # range at the cut-off, per material
    mbin = -1                                 # the mesh bin holding the particle, -1: not known
    for _ in range(MAX_STEPS):
        if cell < 0:
            escape(counters, e, kind, wt)
            return n_stack
        mat, rho = medium(geo, cell, voxel)
        if mat < 0 or rho <= 0.0:             # vacuum: straight to the next region
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w)
            if not d > 0.0:
                cell, voxel = cross(geo, x, y, z, u, v, w)
                if cell >= 0 and not distance_to_boundary(geo, cell, x, y, z, u, v, w) > 0.0:
                    return _lost(counters, n_stack, e, kind, wt)
                continue
            score_planes(planes, records, rec_n, x, y, z, u, v, w, d, e, 0.0, wt, kind)
            x, y, z = x + d * u, y + d * v, z + d * w
            mbin = -1
            cell, voxel = cross(geo, x, y, z, u, v, w)
            counters[STEP_VACUUM] += 1
            continue
        if e <= ecut:
            break
        region = geo.cell_region[cell]
        if region_importance(geo, region) != imp:     # entered a region of another importance: split or roulette
            return enter_importance(stack, n_stack, x, y, z, u, v, w, e, kind, wt, region_importance(geo, region) / imp,
                                    state)
        # --- step length (g/cm2) and what ends it; t: grid coordinate of the energy (one log per step)
        t0 = grid_t(edata, e)
        i0, f0 = interval(edata, t0)
        r0 = range_t(edata, mat, p, t0)
        safe = safety(geo, cell, voxel, x, y, z)      # cm: no boundary closer in any direction
        if settings.range_rejection and e <= edata.rr_energy[mat] and _trapped(mesh, planes, x, y, z, e, kind,
                                                                             r0 / rho, safe, mbin):
            counters[RANGE_REJECTED] += 1
            break                             # cannot leave its voxel and region: deposit here
        step, limit = r0 - range_t(edata, mat, p, t0 + dt_loss), STEP_LOSS
        if rho * region_max_step(geo, region) < step:
            step, limit = rho * region_max_step(geo, region), STEP_REGION
        if msc:
            sig_1 = elastic_params(edata, mat, p, i0, f0)[2]
            if sig_1 > 0.0 and settings.max_step_q1 / sig_1 < step:
                step, limit = settings.max_step_q1 / sig_1, STEP_Q1
        sig_max = max_sigma(edata, mat, p, i0)
        event = _NONE
        if sig_max > 0.0 and n_left < step * sig_max:
            step = n_left / sig_max
            event = _DISCRETE
        if mat != cut_mat:
            cut_mat, r_cut = mat, range_of(edata, mat, p, ecut)
        if r0 - r_cut <= step:
            step = r0 - r_cut
            event = _CUTOFF
        s = step / rho                        # cm
        inside = s < safe                     # both legs stay inside: no boundary to look for
        d = np.inf
        if not inside:
            d = distance_to_boundary(geo, cell, x, y, z, u, v, w)
            if not d > 0.0:                   # not inside for this direction: relocate
                cell, voxel = cross(geo, x, y, z, u, v, w)
                if cell >= 0 and not distance_to_boundary(geo, cell, x, y, z, u, v, w) > 0.0:
                    return _lost(counters, n_stack, e, kind, wt)
                continue
        tau = s * uniform(state) if msc else s
        if tau >= d:                          # the boundary comes first: stop there
            e_new = _energy_left(edata, mat, p, r0 - d * rho, i0)
            mbin = _segment(mesh, tally, counters, region, x, y, z, u, v, w, d, e - e_new, wt, analog, seg_len,
                            seg_idx, mbin)
            score_planes(planes, records, rec_n, x, y, z, u, v, w, d, e, e - e_new, wt, kind)
            e = e_new
            n_left -= d * rho * sig_max
            x, y, z = x + d * u, y + d * v, z + d * w
            cell, voxel = cross(geo, x, y, z, u, v, w)
            counters[STEP_BOUNDARY] += 1
            continue
        e_new = _energy_left(edata, mat, p, r0 - tau * rho, i0)
        mbin = _segment(mesh, tally, counters, region, x, y, z, u, v, w, tau, e - e_new, wt, analog, seg_len, seg_idx,
                        mbin)
        score_planes(planes, records, rec_n, x, y, z, u, v, w, tau, e, e - e_new, wt, kind)
        x, y, z = x + tau * u, y + tau * v, z + tau * w
        if msc:                               # GS deflection of the whole step at its mid-point energy
            im, fm = interval(edata, t_of_range(edata, mat, p, r0 - 0.5 * step, i0))
            eta, sig_el, _ = elastic_params(edata, mat, p, im, fm)
            mu = sample_elastic_mu(edata, mat, p, im, fm, step * sig_el, eta, state)
            u, v, w = rotate(u, v, w, 1.0 - 2.0 * mu, 2.0 * math.pi * uniform(state))
            rest = s - tau
            d2 = np.inf if inside else distance_to_boundary(geo, cell, x, y, z, u, v, w)
            if d2 < rest:                     # the boundary comes first on the second leg
                e_end = _energy_left(edata, mat, p, r0 - (tau + d2) * rho, i0)
                mbin = _segment(mesh, tally, counters, region, x, y, z, u, v, w, d2, e_new - e_end, wt, analog,
                                seg_len, seg_idx, mbin)
                score_planes(planes, records, rec_n, x, y, z, u, v, w, d2, e_new, e_new - e_end, wt, kind)
                e = e_end
                n_left -= (tau + d2) * rho * sig_max
                x, y, z = x + d2 * u, y + d2 * v, z + d2 * w
                cell, voxel = cross(geo, x, y, z, u, v, w)
                counters[STEP_BOUNDARY] += 1
                continue
            e_end = _energy_left(edata, mat, p, r0 - step, i0)
            mbin = _segment(mesh, tally, counters, region, x, y, z, u, v, w, rest, e_new - e_end, wt, analog, seg_len,
                            seg_idx, mbin)
            score_planes(planes, records, rec_n, x, y, z, u, v, w, rest, e_new, e_new - e_end, wt, kind)
            x, y, z = x + rest * u, y + rest * v, z + rest * w
            e_new = e_end
        e = e_new
        if event == _CUTOFF:
            counters[STEP_CUTOFF] += 1
            break
        if event != _DISCRETE:
            counters[limit] += 1
            n_left -= step * sig_max
            continue
        n_left = -math.log(uniform(state))
        if uniform(state) * sig_max >= discrete_sigma(edata, mat, p, e):
            counters[STEP_FICTITIOUS] += 1
            continue                          # fictitious event
        counters[STEP_DISCRETE] += 1
        process = select_discrete(edata, mat, p, e, state)
        phi = 2.0 * math.pi * uniform(state)
        if process == DELTA:
            tc = edata.delta_threshold
            w_delta = sample_moller(e, tc, state) if p == 0 else sample_bhabha(e, tc, state)
            cos_p, cos_s = delta_cosines(e, w_delta)
            su, sv, sw = rotate(u, v, w, cos_s, phi + math.pi)
            n_stack = _secondary(geo, mesh, planes, edata, mat, rho, cell, voxel, tally, counters, stack, n_stack,
                                 x, y, z, su, sv, sw, w_delta, ELECTRON, wt, settings)
            u, v, w = rotate(u, v, w, cos_p, phi)
            e -= w_delta
        elif process == BREMS:
            # with BCSE (edata.brems_enhancement = f > 1: f times the events) each photon carries wt / f and the
            # electron loses k with probability 1 / f, so photons and electron are unbiased (E. S. M. Ali and
            # D. W. O. Rogers, Med. Phys. 34 (2007) 2143)
            f = edata.brems_enhancement
            k = sample_brems_energy(edata, mat, e, state)
            n_stack = _brems_photons(geo, mesh, planes, edata, mat, rho, cell, voxel, tally, counters, stack, n_stack,
                                     x, y, z, u, v, w, e, k, phi, wt / f, settings, state)
            if f == 1.0 or uniform(state) * f < 1.0:
                e -= k
        else:                                 # positron annihilation in flight
            k1, cos1, k2, cos2 = sample_annihilation(e, state)
            gu, gv, gw = rotate(u, v, w, cos1, phi)
            n_stack = push(stack, n_stack, x, y, z, gu, gv, gw, k1, PHOTON, wt)
            gu, gv, gw = rotate(u, v, w, cos2, phi + math.pi)
            return push(stack, n_stack, x, y, z, gu, gv, gw, k2, PHOTON, wt)
        if n_stack < 0:
            return n_stack
    else:
        return _lost(counters, n_stack, e, kind, wt)
    # below the cut-off: deposit on the spot; a positron annihilates at rest
    deposit(mesh, tally, counters, geo.cell_region[cell], x, y, z, e, wt, analog)
    if kind == POSITRON:
        return _annihilate_at_rest(stack, n_stack, x, y, z, wt, state)
    return n_stack
