"""Electron condensed-history transport verified against exact answers: the CSDA range, the Fano
cavity theorem, energy conservation and thread-count independence.

Tolerances: k = 3 sigma of the run's own statistics (fixed seeds) plus the stated systematic
allowance of each test.
"""
import math

import numpy as np
import pytest

from mcdose.bench.fano import ALLOWANCE, HISTORIES, fano
from mcdose.bench.fano import batch_run as _run
from mcdose.config import physics_section
from mcdose.geometry import Cell, Geometry, box
from mcdose.materials import get
from mcdose.physics import tables
from mcdose.problem import TransportProblem
from mcdose.results import Grid

MEV_TO_J = 1.602176634e-13
K_SIGMA = 3.0


def _assert_energy_conserved(counters, allowance=1e-9):
    """emitted = deposited + escaped (+ lost, which must be zero), per particle (MeV)."""
    assert counters["lost_particles"] == 0
    balance = counters["deposited"] + counters["escaped"] + counters["lost"]
    assert balance == pytest.approx(counters["emitted"], rel=allowance, abs=1e-9)


# ------------------------------------------------------------------------------- CSDA range

def _csda_problem(energy):
    depth = 1.3 * tables("water").csda_range(energy)
    geometry = Geometry([Cell("water", box(-10, 10, -10, 10, 0.0, depth + 1.0), "water", 1.0)],
                        [[-11, 11], [-11, 11], [-1.0, depth + 2.0]], name="water block")
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0], "z_edges": np.linspace(0.0, depth, 1301)})
    source = {"type": "beam", "particle": "electron", "energy": energy, "shape": "circle", "radius": 1e-3, "z": -0.5}
    physics = physics_section(multiple_scattering=False, discrete_events=False)
    return TransportProblem(geometry, grid, get, source, physics, "analog"), grid


@pytest.mark.parametrize("energy", [1.0, 6.0, 12.0])
def test_csda_range(energy):
    """No scattering, no discrete events: every electron runs straight down the axis and stops
    where its path equals the CSDA range R(E0) - R(E_cut) of the tables, within 0.5 %.

    The histories are identical (nothing random is left), so the stopping depth is read from the
    deepest mesh bin with energy: resolution 1/1300 of 1.3 R, i.e. 0.1 % of R (the systematic
    allowance); the dose profile must also carry every emitted MeV (energy conservation)."""
    problem, grid = _csda_problem(energy)
    edep, _, counters = _run(problem, 200, batches=2)
    _assert_energy_conserved(counters)
    water = tables("water")
    expected = water.csda_range(energy) - water.csda_range(problem.settings.electron_cutoff)   # cm (rho = 1)
    last = np.nonzero(edep.reshape(grid.shape)[0])[0].max()
    z = np.asarray(grid.edges["z_edges"])
    path = 0.5 * (z[last] + z[last + 1])
    assert path == pytest.approx(expected, rel=0.005), (path, expected)
    assert edep.sum() == pytest.approx(energy, rel=1e-9)


def test_step_counters_count_the_straight_tracks_steps():
    """The kernel's step-cause counters (the issue-21 profile) on the CSDA problem: no scattering and no discrete
    events, so every step ends on the energy-loss limit (each loses the fraction max_step_loss) until the one
    that reaches the cut-off, and every history takes the same steps: floor(ln(E_cut / E0) / ln(1 - f)) of them."""
    energy, histories = 2.0, 40
    problem, _ = _csda_problem(energy)
    steps = problem.transport_batch(1, 0, histories).steps
    f, cut = problem.settings.max_step_loss, problem.settings.electron_cutoff
    assert steps["energy-loss limit"] == histories * math.floor(math.log(cut / energy) / math.log(1.0 - f))
    assert steps["cut-off"] + steps["range rejection"] == histories
    assert steps["multiple-scattering limit"] == steps["discrete event"] == steps["fictitious event"] == 0
    assert steps["vacuum"] == histories                   # from the source at z = -0.5 cm to the water


# ------------------------------------------------------------------------------- Fano cavity

@pytest.mark.parametrize("energy", [1.0])
@pytest.mark.parametrize("spin", [False, True])
def test_fano_cavity(energy, spin):
    """Fano: uniform emission per unit mass => the dose in the low-density cavity, and in thin
    wall layers above and below it, equals the emitted energy per unit mass. Allowance 0.5 % (the
    issue's criterion) + 3 sigma (sigma ~ 0.3 % here; the slow test below has 10 times the histories). The
    problem: mcdose.bench.fano (also run by mcdose bench); with and without the spin correction."""
    ratio, sigma, counters = fano(energy, spin=spin)
    _assert_energy_conserved(counters)
    for k in range(3):
        assert abs(ratio[k] - 1.0) < ALLOWANCE + K_SIGMA * sigma[k], (k, ratio, sigma)


@pytest.mark.slow
@pytest.mark.parametrize("energy", [1.0, 10.0])
@pytest.mark.parametrize("spin", [False, True])
def test_fano_cavity_high_statistics(energy, spin):
    ratio, sigma, counters = fano(energy, 10 * HISTORIES[energy], spin=spin)
    _assert_energy_conserved(counters)
    for k in range(3):
        assert abs(ratio[k] - 1.0) < ALLOWANCE + K_SIGMA * sigma[k], (k, ratio, sigma)


# ------------------------------------------------------------------------------- determinism

def test_same_dose_for_any_thread_count():
    """Fixed-point tallies: 1 and 2 threads give the same dose bit for bit (6 MeV beam, water)."""
    problem, grid = _csda_problem(6.0)
    problem.settings = problem.settings._replace(multiple_scattering=True)
    one = problem.transport_batch(5, 0, 400, 1)
    two = problem.transport_batch(5, 0, 400, 2)
    assert np.array_equal(one.edep, two.edep)
    assert one.counters == two.counters


@pytest.mark.parametrize("particle", ["electron", "positron"])
def test_energy_conserved_in_water_over_lead(particle):
    """A 6 MeV beam on 1 cm water over 0.2 cm lead over water: every MeV is deposited or escapes
    (positrons count T + 2 mc²: their annihilation photons carry it), nothing is lost, and the
    lead, with its bremsstrahlung, fluorescence and backscatter, gets a dose."""
    cells = [Cell("water", box(-10, 10, -10, 10, 0.0, 1.0), "water", 1.0),
             Cell("lead", box(-10, 10, -10, 10, 1.0, 1.2), "lead", get("lead").density),
             Cell("backing", box(-10, 10, -10, 10, 1.2, 5.0), "water", 1.0)]
    geometry = Geometry(cells, [[-11, 11], [-11, 11], [-1.0, 6.0]], name="water over lead")
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0, 15.0], "z_edges": [0.0, 0.5, 1.0, 1.2, 5.0]})  # covers the box
    source = {"type": "beam", "particle": particle, "energy": 6.0, "shape": "circle", "radius": 0.5, "z": -0.5}
    problem = TransportProblem(geometry, grid, get, source, physics_section(), "analog")
    edep, _, counters = _run(problem, 2000, batches=2)
    _assert_energy_conserved(counters)
    rest = 2 * 0.51099895 if particle == "positron" else 0.0
    assert counters["emitted"] == pytest.approx(6.0 + rest, rel=1e-9)
    assert counters["escaped"] > 0.0 and edep.reshape(grid.shape)[0, 2] > 0.0
    assert edep.sum() == pytest.approx(counters["deposited"], rel=1e-6)
