"""Profile of the electron history (issue 21): charged-particle steps per history by what ended them (the
kernel's step counters, :data:`mcdose.kernels.codes.STEP_CAUSES`), and the cost of each part of a step
measured in isolation on the problem's own arrays (data look-ups, multiple-scattering sampling, geometry,
mesh scoring, random numbers), beside the measured time per step.

The parts are timed in Numba loops over states drawn as the transport meets them (energies log-uniform
between 0.1 MeV and the beam energy, positions in the scored water, isotropic directions, segment lengths
of a typical step); the per-step figure of a part is its cost per call times the calls one step makes
(track_electron: 2 range look-ups and a grid coordinate, 2 elastic look-ups, the majorant, 2 inverse-range
look-ups; one deflection; a safety, and a boundary distance when the step is not inside; two mesh legs;
four random numbers). What the parts do not explain is control flow, discrete events, secondaries and
photons. Timed alone, a part runs with warm caches and predictable branches on states that only resemble the
transport's, so the shares are indicative; the step counts are exact.

Run: python -m benchmarks.electron_profile [--histories N] [--cases E9 APP9]
"""
from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np

from mcdose.bench.egsnrc_electrons import CASES, config
from mcdose.config import validate
from mcdose.kernels.electron_interactions import (elastic_params, energy_at, grid_t, interval, max_sigma,
                                                  range_t, sample_msc_mu, t_of_range)
from mcdose.kernels.geometry import cross, distance_to_boundary, safety
from mcdose.kernels.mesh import trace_mesh
from mcdose.kernels.photon_interactions import rotate
from mcdose.kernels.rng import stream_init, uniform
from mcdose.problem import build_problem

CALLS = 400_000
E_MIN = 0.1                 # MeV: lowest energy of the sampled states


@numba.njit(cache=False)
def _lookups(edata, mat, energies, dt_loss):
    acc = 0.0
    for e in energies:
        t0 = grid_t(edata, e)
        i0, f0 = interval(edata, t0)
        r0 = range_t(edata, mat, 0, t0)
        r1 = range_t(edata, mat, 0, t0 + dt_loss)
        sig_1 = elastic_params(edata, mat, 0, i0, f0)[2]
        sig_max = max_sigma(edata, mat, 0, i0)
        im, fm = interval(edata, t_of_range(edata, mat, 0, 0.5 * (r0 + r1), i0))
        eta, sig_el, _ = elastic_params(edata, mat, 0, im, fm)
        e_end = energy_at(edata, t_of_range(edata, mat, 0, r1, i0))
        acc += sig_1 + sig_max + eta + sig_el + e_end
    return acc


@numba.njit(cache=False)
def _deflections(edata, mat, energies, steps, state):
    acc = 0.0
    for k in range(energies.size):
        t = grid_t(edata, energies[k])
        i, f = interval(edata, t)
        eta, sig_el, _ = elastic_params(edata, mat, 0, i, f)
        mu = sample_msc_mu(edata, steps[k] * sig_el, eta, state)
        u, v, w = rotate(0.0, 0.0, 1.0, 1.0 - 2.0 * mu, 2.0 * math.pi * uniform(state))
        acc += w
    return acc


@numba.njit(cache=False)
def _lookups_only(edata, mat, energies, steps):
    acc = 0.0
    for k in range(energies.size):
        t = grid_t(edata, energies[k])
        i, f = interval(edata, t)
        eta, sig_el, _ = elastic_params(edata, mat, 0, i, f)
        acc += steps[k] * sig_el + eta
    return acc


@numba.njit(cache=False)
def _geometry_part(geo, points, dirs, part):
    """part 0: cross (point location); 1: safety; 2: distance to boundary."""
    acc = 0.0
    for k in range(points.shape[0]):
        x, y, z = points[k, 0], points[k, 1], points[k, 2]
        u, v, w = dirs[k, 0], dirs[k, 1], dirs[k, 2]
        cell, voxel = cross(geo, x, y, z, u, v, w)
        if part == 0 or cell < 0:
            acc += cell
        elif part == 1:
            acc += safety(geo, cell, voxel, x, y, z)
        else:
            acc += min(distance_to_boundary(geo, cell, x, y, z, u, v, w), 1e3)
    return acc


@numba.njit(cache=False)
def _mesh(mesh, points, dirs, lengths, seg_len, seg_idx):
    n = 0
    for k in range(points.shape[0]):
        n += trace_mesh(mesh, points[k, 0], points[k, 1], points[k, 2], dirs[k, 0], dirs[k, 1], dirs[k, 2],
                        lengths[k], seg_len, seg_idx)
    return n


@numba.njit(cache=False)
def _step_lengths(edata, mat, energies, dt_loss, max_step_q1, state):
    """cm in water: each state's step as track_electron chooses it (energy-loss limit, multiple-scattering
    limit, distance to a discrete event of the majorant)."""
    out = np.empty(energies.size)
    for k in range(energies.size):
        t0 = grid_t(edata, energies[k])
        i0, f0 = interval(edata, t0)
        step = range_t(edata, mat, 0, t0) - range_t(edata, mat, 0, t0 + dt_loss)
        sig_1 = elastic_params(edata, mat, 0, i0, f0)[2]
        if sig_1 > 0.0:
            step = min(step, max_step_q1 / sig_1)
        sig_max = max_sigma(edata, mat, 0, i0)
        if sig_max > 0.0:
            step = min(step, -math.log(uniform(state)) / sig_max)
        out[k] = step
    return out


@numba.njit(cache=False)
def _random(state, n):
    acc = 0.0
    for _ in range(n):
        acc += uniform(state)
    return acc


def _per_call(func, *args, calls=CALLS) -> float:
    """Seconds per call of a loop of ``calls`` (best of three, after a compiling call)."""
    func(*args)
    best = min(_timed(func, *args) for _ in range(3))
    return best / calls


def _timed(func, *args) -> float:
    t = time.perf_counter()
    func(*args)
    return time.perf_counter() - t


def _states(problem, energy_mev: float, rng):
    """Energies (MeV), points (cm) in the scored water below the surface, unit directions."""
    edges = problem.grid.edges
    z_hi = edges["z_edges"][-1]
    r_hi = edges["r_edges"][-1] if "r_edges" in edges else 5.0
    e = np.exp(rng.uniform(math.log(E_MIN), math.log(energy_mev), CALLS))
    r, phi = r_hi * np.sqrt(rng.uniform(size=CALLS)), rng.uniform(0, 2 * math.pi, CALLS)
    points = np.column_stack([r * np.cos(phi), r * np.sin(phi), rng.uniform(0.0, z_hi, CALLS)])
    w = rng.uniform(-1.0, 1.0, CALLS)
    a = rng.uniform(0, 2 * math.pi, CALLS)
    dirs = np.column_stack([np.sqrt(1 - w * w) * np.cos(a), np.sqrt(1 - w * w) * np.sin(a), w])
    return e, points, dirs


def profile(case: str, histories: int) -> None:
    spec = validate(config(case, histories, batches=1))
    problem = build_problem(spec)
    problem.prepare()
    problem.transport_batch(1, 0, 200, threads=1)                       # warm
    t = time.perf_counter()
    tally = problem.transport_batch(2024, 0, histories, threads=1)
    seconds = time.perf_counter() - t
    steps = tally.steps
    moving = sum(n for name, n in steps.items() if name != "range rejection")
    print(f"{case}: {histories:,} histories on 1 thread in {seconds:.1f} s: {1e6 * seconds / histories:.0f} us/history, "
          f"{moving / histories:.1f} charged-particle steps/history, {1e9 * seconds / moving:.0f} ns/step "
          f"(everything included)")
    print(f"  {'step ended by':<28}{'per history':>12}{'share':>9}")
    for name, n in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28}{n / histories:>12.2f}{100 * n / max(moving, 1):>8.1f}%")

    rng = np.random.default_rng(7)
    e, points, dirs = _states(problem, CASES[case].energy_mev, rng)
    water = problem.material_names.index("water")
    dt_loss = math.log(1.0 - float(spec.physics["max_step_loss"])) * problem.edata.inv_dln_e
    state = np.empty(4, dtype=np.uint64)
    stream_init(state, 1, 0, 0)
    lengths = _step_lengths(problem.edata, water, e, dt_loss, problem.settings.max_step_q1, state)
    print(f"  sampled steps in water: mean {10 * lengths.mean():.2f} mm, median {10 * np.median(lengths):.2f} mm")
    seg_len, seg_idx = np.empty(problem.segments), np.empty(problem.segments, dtype=np.int64)
    lookups = _per_call(_lookups, problem.edata, water, e, dt_loss)
    deflection = (_per_call(_deflections, problem.edata, water, e, lengths, state)
                  - _per_call(_lookups_only, problem.edata, water, e, lengths))
    geo = [_per_call(_geometry_part, problem.geo, points, dirs, k) for k in range(3)]
    locate, safe, distance = geo[0], geo[1] - geo[0], geo[2] - geo[0]
    legs = lengths * rng.uniform(size=CALLS)                             # the random hinge's first leg
    mesh_leg = 0.5 * (_per_call(_mesh, problem.mesh, points, dirs, legs, seg_len, seg_idx)
                      + _per_call(_mesh, problem.mesh, points, dirs, lengths - legs, seg_len, seg_idx))
    random = _per_call(_random, state, CALLS)
    boundary_share = steps["boundary"] / max(moving, 1)
    parts = {"data look-ups (ranges, elastic, majorant, inverse range)": lookups,
             "multiple-scattering angle + rotation": deflection,
             "geometry: safety": safe,
             "geometry: boundary distance + relocation (steps near a boundary)": 2 * boundary_share * (distance + locate),
             "mesh scoring: two legs": 2 * mesh_leg,
             "random numbers (4)": 4 * random}
    per_step = seconds / moving
    print(f"  {'part of a step (isolated timing)':<66}{'ns/step':>9}{'share':>8}")
    for name, cost in parts.items():
        print(f"  {name:<66}{1e9 * cost:>9.0f}{100 * cost / per_step:>7.0f}%")
    rest = per_step - sum(parts.values())
    print(f"  {'measured per step minus the parts (control flow, discrete events)':<66}{1e9 * rest:>9.0f}"
          f"{100 * rest / per_step:>7.0f}%")
    print("  (parts timed alone on sampled states: indicative; a negative difference means the sampled states "
          "cost more than the transport's)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.electron_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, default=20_000, help="histories per case (default 2e4)")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=["E9", "APP9"])
    args = parser.parse_args(argv)
    for case in args.cases:
        profile(case, args.histories)
        print()


if __name__ == "__main__":
    main()
