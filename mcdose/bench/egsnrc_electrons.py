"""Electron beams E6/E9 and the IOERT applicator APP9 against EGSnrc (DOSRZnrc): reference curves,
configuration, comparison.

The problems (README.md of mcdose.reference, benchmarks/reference/ in the source tree): E6, E9: monoenergetic
6 or 9 MeV electrons in a parallel beam along +z, uniform over a disc of radius 5 cm on the surface z = 0 of a
water cylinder (r 15 cm, length 10 cm, vacuum around). APP9: 9 MeV electrons from a point 60 cm above the
water, uniform per solid angle into the cone that fills r <= 5.49945 cm at z = -30 cm, through a PMMA
applicator (inner radius 5, wall 0.5, 30 cm long, air inside, vacuum outside) touching the same water
cylinder; its scene is built by the ioert family's applicator builder
(:func:`mcdose.sources.applicator.applicator_parts`). Dose in 0.1 cm slabs and annuli with outer radii 1, 2,
3, 4, 5, 6, 8, 15 cm. EGSnrc scores Gy cm^2 (per unit fluence); dividing by the case's ``fluence_area_cm2``
(E: the beam area pi (4.999 cm)^2; APP9: 30^2 Omega = 92.68465 cm^2) gives Gy
per incident electron, the unit of mcdose results. All depths and radii in cm, energies in MeV.

Acceptance (issue 6), each judged with tolerance = stated allowance + K_SIGMA combined 1-sigma of
both Monte Carlo results (the allowance is the systematic part: cross sections, condensed-history
algorithm, EGSnrc's spin effects being off):
  on axis (r < 1 cm): |D - D_ref| <= 2 % of the reference Dmax at every depth up to R50;
  absolute dose per electron at dmax (parabola-fitted Dmax) within 2 %;
  R90, R80, R50, Rp within 0.1 cm; bremsstrahlung tail within 10 %;
  annuli 4-5 and 5-6 cm: |D - D_ref| <= 3 % of the on-axis reference Dmax at every depth up to Rp;
  energy conservation: emitted = deposited + escaped + lost, emitted = beam energy, the mesh total
  equals the energy deposited in the phantom (the mesh covers it), no lost particles.
APP9 adds (issue 15): surface dose (0-0.1 cm slab / Dmax) within 3 % of Dmax; the 3-4 and 4-5 cm
rings relative to the axis (r < 1 cm) at the surface slab and over the dmax plateau (1.15-1.95 cm)
within 3 %.
Doses are compared absolutely (Gy per electron), not each normalised to its own maximum.
Used by ``mcdose bench``, tests/physics/test_electron_reference.py and benchmarks/egsnrc_electrons.py.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..sources.applicator import applicator_parts
from . import reference_text
from .energy import energy_checks
from .table import K_SIGMA, Check, Comparison, check

BEAM_RADIUS_CM = 4.999          # the radius of EGSnrc's fluence normalisation (README: divide by pi 4.999^2)
R_EDGES_CM = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 15.0)
PHANTOM_RADIUS_CM, PHANTOM_LENGTH_CM, SLAB_CM = 15.0, 10.0, 0.1
CUTOFF_MEV = 0.010              # EGSnrc ECUT 0.521 MeV total / AE / AP / PCUT: 10 keV kinetic for all four
ON_AXIS_ALLOWANCE = 0.02        # of the reference Dmax
ABSOLUTE_ALLOWANCE = 0.02       # relative, at dmax
RANGE_ALLOWANCE_CM = 0.1
TAIL_ALLOWANCE = 0.10           # relative
TAIL_START_BEYOND_RP_CM = 1.0   # tail = mean on-axis dose from Rp_ref + 1 cm to the deepest scored slab
OFF_AXIS_ALLOWANCE = 0.03       # of the on-axis reference Dmax
OFF_AXIS_ANNULI = (4, 5)        # indices of the 4-5 and 5-6 cm annuli
SURFACE_ALLOWANCE = 0.03        # APP9: surface dose / Dmax, of Dmax
RING_ALLOWANCE = 0.03           # APP9: ring / axis dose ratios, relative
RINGS = (3, 4)                  # APP9: indices of the 3-4 and 4-5 cm rings
PLATEAU_CM = (1.15, 1.95)       # APP9: EGSnrc's 99 % dmax plateau (README), where the ring ratios are averaged
APP9_SOURCE_Z_CM, APP9_TUBE = -60.0, dict(inner_diameter=10.0, wall=0.5, length=30.0)
APP9_CONE_RADIUS_CM = 5.49945   # the cone fills this disc at the tube entrance z = -30 cm
MESH_RTOL = 1e-6                # mesh total vs deposited counter (float sums over bins)
BENCH_BATCHES = 100             # benchmark runs: s from 100 batches is good to ~7 %


@dataclass(frozen=True)
class Case:
    """energy_mev: beam kinetic energy; voxel_z_cm: EGSnrc's reference voxel (r < 1 cm) for 1/(s^2 T);
    ci_histories: about 60-120 s on one core at EGSnrc's cost per history (190 / 286 / 208 us for
    E6 / E9 / APP9); slow_histories: about twice EGSnrc's, so that mcdose's uncertainty is about
    1/sqrt(2) of the reference's; fluence_area_cm2: EGSnrc's dose per fluence / this = dose per electron;
    applicator: the APP9 scene and its extra checks."""

    energy_mev: float
    voxel_z_cm: tuple
    ci_histories: int
    slow_histories: int
    fluence_area_cm2: float
    applicator: bool = False


BEAM_AREA_CM2 = np.pi * BEAM_RADIUS_CM ** 2
CASES = {"E6": Case(6.0, (1.4, 1.5), 400_000, 4_000_000, BEAM_AREA_CM2),
         "E9": Case(9.0, (2.1, 2.2), 300_000, 3_600_000, BEAM_AREA_CM2),
         "APP9": Case(9.0, (1.5, 1.6), 300_000, 6_000_000, 92.68465, applicator=True)}


@dataclass(frozen=True)
class Reference:
    """EGSnrc curves: dose[i_r, i_z] in Gy per incident electron and its relative 1-sigma, on
    r_edges (cm) x z_edges (cm, the scored slabs only); histories and CPU seconds of the run."""

    case: str
    r_edges: np.ndarray
    z_edges: np.ndarray
    dose: np.ndarray
    rel_unc: np.ndarray
    histories: int
    cpu_s: float

    @property
    def z_centers(self) -> np.ndarray:
        return 0.5 * (self.z_edges[1:] + self.z_edges[:-1])

    def voxel(self) -> int:
        """Depth index of the reference voxel of the efficiency."""
        return int(np.argmin(np.abs(self.z_edges[:-1] - CASES[self.case].voxel_z_cm[0])))

    @property
    def efficiency(self) -> float:
        """EGSnrc's 1/(s^2 T) on one core, 1/s (s in the reference voxel, T in CPU seconds)."""
        s = self.rel_unc[0, self.voxel()]
        return 1.0 / (s * s * self.cpu_s)


def reference(case: str) -> Reference:
    """The EGSnrc curves of `case` (a key of CASES) from mcdose.reference <case>.csv."""
    _case(case)
    lines = reference_text(f"{case}.csv").splitlines()
    header = " ".join(line for line in lines if line.startswith("#"))
    histories = int(re.search(r"histories=(\d+)", header).group(1))
    cpu_s = float(re.search(r"CPU_s=([\d.]+)", header).group(1))
    rows = [r for r in csv.DictReader(line for line in lines if not line.startswith("#"))
            if r["D_r0-1_Gycm2"]]                        # the last slab was not scored
    bins = [tuple(float(x) for x in m.groups())
            for m in (re.fullmatch(r"D_r([\d.]+)-([\d.]+)_Gycm2", k) for k in rows[0]) if m]
    r_edges = np.array([bins[0][0]] + [hi for _, hi in bins])
    z_edges = np.array([float(rows[0]["depth_cm_lo"])] + [float(r["depth_cm_hi"]) for r in rows])
    name = [f"r{lo:g}-{hi:g}" for lo, hi in bins]
    dose = np.array([[float(r[f"D_{n}_Gycm2"]) for r in rows] for n in name]) / CASES[case].fluence_area_cm2
    unc = np.array([[float(r[f"relunc_{n}"]) for r in rows] for n in name])
    return Reference(case, r_edges, z_edges, dose, unc, histories, cpu_s)


def _case(case: str) -> Case:
    if case not in CASES:
        raise InputError(f"case {case!r} is not allowed: one of {', '.join(CASES)}")
    return CASES[case]


def config(case: str, histories: int = 200_000, batches: int = 20, threads: int = 0, seed: int = 2024,
           spin: bool = False) -> dict:
    """The mcdose configuration of `case`: EGSnrc's geometry, source, scoring mesh and 10 keV cut-offs, and
    EGSnrc's reference runs' elastic scattering (spin effects off) unless ``spin``."""
    energy = _case(case).energy_mev
    if CASES[case].applicator:
        half_angle = np.degrees(np.arctan(APP9_CONE_RADIUS_CM / (APP9_TUBE["length"] + APP9_SOURCE_Z_CM)))
        source = {"type": "point", "particle": "electron", "energy": energy, "position": [0.0, 0.0, APP9_SOURCE_Z_CM],
                  "direction": [0.0, 0.0, 1.0], "half_angle": float(abs(half_angle))}
        scene = {"parts": applicator_parts(**APP9_TUBE, surround="vacuum")}
        world = {"world_margin": 1.0 - APP9_SOURCE_Z_CM}           # the world holds the source point
    else:
        source = {"type": "beam", "particle": "electron", "energy": energy, "shape": "circle",
                  "radius": BEAM_RADIUS_CM, "z": 0.0}
        scene, world = {}, {}
    return {
        "run": {"histories": histories, "batches": batches, "threads": threads, "seed": seed},
        "source": source,
        **scene,
        "phantom": {"type": "cylinder", "material": "water", "radius": PHANTOM_RADIUS_CM,
                    "length": PHANTOM_LENGTH_CM, **world},
        "scoring": {"mesh": "cylindrical", "r_edges": list(R_EDGES_CM),
                    "z_edges": {"min": 0.0, "max": PHANTOM_LENGTH_CM, "step": SLAB_CM}},
        "physics": {"electron_cutoff": CUTOFF_MEV, "photon_cutoff": CUTOFF_MEV,
                    "delta_threshold": CUTOFF_MEV, "brems_threshold": CUTOFF_MEV, "spin": spin},
    }


def compare(result, case: str) -> Comparison:
    """Every issue-6 acceptance criterion of an mcdose `result` (a cylindrical Result of `config(case)`)."""
    from ..analysis import pdd_metrics       # scipy: imported when needed, not by mcdose --help
    ref = reference(case)
    dose, sigma = _aligned(result, ref)
    ref_sigma = ref.dose * ref.rel_unc
    z = ref.z_centers
    ours, theirs = pdd_metrics(z, dose[0], sigma[0]), pdd_metrics(z, ref.dose[0], ref_sigma[0])
    d_max = theirs.d_max.value
    checks = [_profile("on-axis dose (<= R50)", z, dose[0], sigma[0], ref.dose[0], ref_sigma[0], d_max,
                       z <= theirs.r50_cm.value, ON_AXIS_ALLOWANCE)]
    ratio = ours.d_max.value / d_max
    checks.append(check("absolute Dmax", ours.d_max.value, d_max, "Gy/e", ratio - 1.0,
                        ratio * np.hypot(ours.d_max.sigma / ours.d_max.value, theirs.d_max.sigma / d_max),
                        ABSOLUTE_ALLOWANCE, "relative", f"dmax {ours.dmax_cm.value:.2f} cm"))
    for label in ("r90", "r80", "r50", "rp"):
        a, b = getattr(ours, f"{label}_cm"), getattr(theirs, f"{label}_cm")
        checks.append(check(label.upper(), a.value, b.value, "cm", a.value - b.value, np.hypot(a.sigma, b.sigma),
                            RANGE_ALLOWANCE_CM, "cm"))
    checks.append(_tail(z, dose[0], sigma[0], ref.dose[0], ref_sigma[0], theirs.rp_cm.value))
    for i in OFF_AXIS_ANNULI:
        checks.append(_profile(f"annulus {ref.r_edges[i]:g}-{ref.r_edges[i + 1]:g} cm (<= Rp)", z, dose[i], sigma[i],
                               ref.dose[i], ref_sigma[i], d_max, z <= theirs.rp_cm.value, OFF_AXIS_ALLOWANCE))
    if CASES[case].applicator:
        surface, ref_surface = dose[0, 0] / ours.d_max.value, ref.dose[0, 0] / d_max
        checks.append(check("surface dose", surface, ref_surface, "of Dmax", surface - ref_surface,
                            np.hypot(sigma[0, 0] / ours.d_max.value, ref_sigma[0, 0] / d_max), SURFACE_ALLOWANCE,
                            "of Dmax"))
        plateau = (z >= PLATEAU_CM[0]) & (z <= PLATEAU_CM[1])
        for label, depths in (("surface", z < SLAB_CM), ("dmax", plateau)):
            for i in RINGS:
                checks.append(_ring(f"ring {ref.r_edges[i]:g}-{ref.r_edges[i + 1]:g} cm, {label}", dose, sigma,
                                    ref.dose, ref_sigma, i, depths))
    checks.extend(_energy(result, _case(case).energy_mev))
    return Comparison(case, tuple(checks))


def _ratio(dose, sigma, i, depths) -> tuple:
    """(mean dose of ring i / mean on-axis dose over the depths, its 1-sigma), bins independent."""
    a, b = dose[i, depths].mean(), dose[0, depths].mean()
    sa, sb = np.sqrt(np.sum(sigma[i, depths] ** 2)) / depths.sum(), np.sqrt(np.sum(sigma[0, depths] ** 2)) / depths.sum()
    return a / b, a / b * np.hypot(sa / a, sb / b)


def _ring(name, dose, sigma, ref, ref_sigma, i, depths) -> Check:
    """Off-axis ratio of ring i, ours against EGSnrc's, relative difference."""
    ours, s_ours = _ratio(dose, sigma, i, depths)
    theirs, s_theirs = _ratio(ref, ref_sigma, i, depths)
    return check(name, ours, theirs, "", ours / theirs - 1.0, ours / theirs * np.hypot(s_ours / ours, s_theirs / theirs),
                 RING_ALLOWANCE, "relative")


def _aligned(result, ref: Reference):
    """mcdose dose and absolute 1-sigma on the reference's bins (Gy per electron), or InputError."""
    g = result.grid
    if g.kind != "cylindrical" or not np.allclose(g.edges["r_edges"], ref.r_edges):
        raise InputError(f"result grid: needs a cylindrical mesh with r_edges {list(ref.r_edges)} cm")
    z = g.edges["z_edges"]
    n = ref.z_edges.size - 1
    if z.size < n + 1 or not np.allclose(z[:n + 1], ref.z_edges, atol=1e-9):
        raise InputError(f"result grid: z_edges must start with the reference slabs "
                         f"{ref.z_edges[0]:g}..{ref.z_edges[-1]:g} cm step {SLAB_CM:g}")
    dose = result.dose[:, :n]
    return dose, dose * result.uncertainty[:, :n]


def _profile(name, z, dose, sigma, ref, ref_sigma, d_max, depths, allowance) -> Check:
    """Dose differences / reference Dmax at the selected depths; the shown row is the least-margin depth."""
    diff = (dose - ref)[depths] / d_max
    s = np.hypot(sigma, ref_sigma)[depths] / d_max
    worst = int(np.argmax(np.abs(diff) - K_SIGMA * s))
    failed = int(np.sum(np.abs(diff) > allowance + K_SIGMA * s))
    where = f"worst z {z[depths][worst]:.2f} cm; {failed}/{diff.size} depths fail"
    return Check(name, float(dose[depths][worst] / d_max), float(ref[depths][worst] / d_max), "of Dmax",
                 float(diff[worst]), float(s[worst]), allowance, "of Dmax", failed == 0, where)


def _tail(z, dose, sigma, ref, ref_sigma, rp_ref) -> Check:
    """Mean on-axis dose beyond Rp_ref + TAIL_START_BEYOND_RP_CM (bremsstrahlung only), relative difference."""
    deep = z >= rp_ref + TAIL_START_BEYOND_RP_CM
    n = deep.sum()
    a, b = dose[deep].mean(), ref[deep].mean()
    sa, sb = np.sqrt(np.sum(sigma[deep] ** 2)) / n, np.sqrt(np.sum(ref_sigma[deep] ** 2)) / n
    ratio = a / b
    return check("bremsstrahlung tail", a, b, "Gy/e", ratio - 1.0, ratio * np.hypot(sa / a, sb / b), TAIL_ALLOWANCE,
                 "relative", f"z {z[deep][0] - SLAB_CM / 2:.1f}-{z[deep][-1] + SLAB_CM / 2:.1f} cm")


def _energy(result, energy_mev: float) -> list:
    """Energy balance from the result's counters (MeV per source particle); exact checks, sigma 0."""
    md = result.metadata
    mesh = float(np.sum(result.energy_deposited))
    in_phantom = float(result.regions.energy[result.regions.name.index("phantom")])
    return energy_checks(md, energy_mev) + [
        check("mesh total = phantom's", mesh, in_phantom, "MeV", mesh / in_phantom - 1.0, 0.0, MESH_RTOL, "relative",
              "energy in the phantom's region tally")]
