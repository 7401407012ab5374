"""The Fano cavity test of electron transport (an exact answer, no reference code needed).

A cylindrical water cavity of density 0.001 g/cm3 (water's per-mass data: the cell keeps the material 'water'
and scales the density) inside a cylindrical water wall at least one CSDA range thick on every side; electrons
are emitted isotropically, uniformly per unit mass, everywhere. Fano's theorem: the dose in the cavity, and in
thin wall layers above and below it, equals the emitted energy per unit mass. Criterion (issue 6): each ratio
dose / (emitted energy per mass) within ALLOWANCE + 3 sigma (sigma: batch method), energy conserved exactly.
Radiative losses are deposited locally (a bremsstrahlung threshold above the source energy makes the whole
radiative stopping power continuous), since photons leaving the wall would break the uniform energy release.
Lengths in cm, energies in MeV. Used by ``mcdose bench`` and tests/physics/test_electron_transport.py.
"""
from __future__ import annotations

import math

import numpy as np

from .energy import energy_checks
from .table import Comparison, check

ALLOWANCE = 0.005
#: cavity and wall (cm): the wall is thicker than the CSDA range (0.44 cm at 1 MeV, 4.98 cm at 10 MeV)
GEOMETRY = {1.0: {"cavity_radius": 3.0, "cavity_height": 3.0, "wall": 0.5},
            10.0: {"cavity_radius": 6.0, "cavity_height": 6.0, "wall": 5.5}}
HISTORIES = {1.0: 2_000_000, 10.0: 200_000}      # CI statistics (sigma ~ 0.3 % at 1 MeV)
BINS = {"cavity": (0, 2), "wall layer above": (0, 1), "wall layer below": (0, 3)}     # (r, z) mesh bins
BATCHES = 20


def batch_run(problem, n: int, seed: int = 1, batches: int = 10, threads: int = 1) -> tuple:
    """Per-particle energy (MeV) per mesh bin with its batch-method sigma, and the counters per particle, of
    `n` histories of a TransportProblem in `batches` batches."""
    parts = [problem.transport_batch(seed, b, n // batches, threads) for b in range(batches)]
    e = np.array([p.edep for p in parts]) / (n // batches)
    counters = {k: sum(p.counters[k] for p in parts) / n for k in parts[0].counters}
    return e.mean(axis=0), e.std(axis=0, ddof=1) / math.sqrt(batches), counters


def problem(energy: float, cavity_radius: float, cavity_height: float, wall: float, spin: bool = False) -> tuple:
    """(TransportProblem, mass of all the matter in g) of the Fano cavity for `energy` MeV electrons
    (``spin``: elastic scattering with the spin correction)."""
    from ..config import physics_section
    from ..geometry import Cell, Geometry, cylinder, zplane
    from ..materials import get
    from ..problem import TransportProblem
    from ..results import Grid
    a, h = cavity_radius, cavity_height
    outer = a + wall
    z0, z1, z2 = wall, wall + h, 2 * wall + h
    cells = [
        Cell("wall above", (-cylinder(outer), +zplane(0.0), -zplane(z0)), "water", 1.0),
        Cell("cavity", (-cylinder(a), +zplane(z0), -zplane(z1)), "water", 1e-3),
        Cell("wall around", (+cylinder(a), -cylinder(outer), +zplane(z0), -zplane(z1)), "water", 1.0),
        Cell("wall below", (-cylinder(outer), +zplane(z1), -zplane(z2)), "water", 1.0),
    ]
    geometry = Geometry(cells, [[-outer - 1, outer + 1], [-outer - 1, outer + 1], [-1.0, z2 + 1.0]], name="Fano")
    layer = 0.1 * wall                         # wall layers scored beside the cavity
    # the mesh covers the whole wall, so range rejection (which needs a mesh bin) works everywhere
    grid = Grid("cylindrical", {"r_edges": [0.0, a, a + layer, outer],
                                "z_edges": [0.0, z0 - layer, z0, z1, z1 + layer, z2]})
    source = {"type": "volume", "particle": "electron", "energy": energy,
              "box": (-outer, outer, -outer, outer, 0.0, z2)}
    physics = physics_section(brems_threshold=2.0 * energy, spin=spin)
    mass = math.pi * outer ** 2 * z2 - math.pi * a * a * h * (1.0 - 1e-3)
    return TransportProblem(geometry, grid, get, source, physics, "analog"), mass


def fano(energy: float, histories: int | None = None, seed: int = 1, threads: int = 0, spin: bool = False) -> tuple:
    """(dose / emitted energy per unit mass in BINS order, its 1-sigma, counters per particle) of `histories`
    (default HISTORIES[energy]) electrons of `energy` MeV."""
    fano_problem, mass = problem(energy, **GEOMETRY[energy], spin=spin)
    edep, sigma, counters = batch_run(fano_problem, histories or HISTORIES[energy], seed, BATCHES, threads)
    expected = energy / mass                          # MeV per gram per emitted electron
    masses = fano_problem.masses.reshape(-1)
    ratio = (edep / masses / expected).reshape(fano_problem.grid.shape)
    sig = (sigma / masses / expected).reshape(fano_problem.grid.shape)
    return np.array([ratio[b] for b in BINS.values()]), np.array([sig[b] for b in BINS.values()]), counters


def compare(energy: float = 1.0, histories: int | None = None, seed: int = 1, threads: int = 0) -> Comparison:
    """The Fano criteria at `energy` MeV: the three dose ratios and the energy balance."""
    n = histories or HISTORIES[energy]
    ratio, sigma, counters = fano(energy, n, seed, threads)
    checks = [check(f"{name} dose / expected", r, 1.0, "", r - 1.0, s, ALLOWANCE, "relative")
              for name, r, s in zip(BINS, ratio, sigma)]
    md = {f"energy_{k}_MeV_per_particle": counters[k] for k in ("emitted", "deposited", "escaped", "lost")}
    md["lost_particles"] = round(counters["lost_particles"] * n)
    return Comparison(f"Fano {energy:g} MeV", tuple(checks) + tuple(energy_checks(md, energy)))
