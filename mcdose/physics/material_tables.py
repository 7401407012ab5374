"""Per-material physics tables (the "pegs" step) and their public API.

``tables(material)`` builds, on first use, every quantity the transport needs
on log-energy grids and caches it as HDF5 (:mod:`mcdose.physics.cache`):

- photons, 1 keV - 50 MeV (absorption edges of the constituents inserted as
  grid points on both sides): photoelectric, incoherent, coherent and pair
  mass attenuation coefficients and mu_en/rho (:mod:`.photon`);
- electrons and positrons, 1 keV - 50 MeV: unrestricted and restricted
  collision stopping powers (:mod:`.collision`), radiative stopping powers and
  bremsstrahlung cross sections (:mod:`.bremsstrahlung`), Moller, Bhabha and
  annihilation cross sections, CSDA range, elastic-scattering screening
  parameter and transport cross sections (:mod:`.elastic`).

Interpolation is linear in log-log. Units: MeV, cm²/g, MeV cm²/g, g/cm².
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import numpy as np
import xraylib

from ..errors import InputError
from ..materials import Material, get as get_material
from . import annihilation, bremsstrahlung, cache, collision, elastic, elastic_spin, photon

PHYSICS_VERSION = "1"   # bump on a change of table layout; model changes are caught by the source digest
E_MIN, E_MAX = 1e-3, 50.0          # MeV, table range for photons and electrons
ELECTRON_POINTS_PER_DECADE = 64
PHOTON_POINTS_PER_DECADE = 48
PHOTON_PROCESSES = ("photoelectric", "incoherent", "coherent", "pair")
STOPPING_KINDS = ("collision", "radiative", "total")

_MEMORY: dict = {}


def electron_grid() -> np.ndarray:
    """Kinetic-energy grid of the electron tables, MeV (log-uniform)."""
    n = int(round(np.log10(E_MAX / E_MIN) * ELECTRON_POINTS_PER_DECADE)) + 1
    return np.geomspace(E_MIN, E_MAX, n)


def absorption_edges(material: Material) -> np.ndarray:
    """Absorption-edge energies (MeV) of the constituents inside the table range (K, L1-L3, M1-M5)."""
    shells = [xraylib.K_SHELL, xraylib.L1_SHELL, xraylib.L2_SHELL, xraylib.L3_SHELL,
              xraylib.M1_SHELL, xraylib.M2_SHELL, xraylib.M3_SHELL, xraylib.M4_SHELL, xraylib.M5_SHELL]
    edges = []
    for z in material.Z:
        for shell in shells:
            try:
                e = xraylib.EdgeEnergy(z, shell)
            except ValueError:
                continue
            if E_MIN * 1.02e3 < e < 800.0:
                edges.append(photon.photoelectric_edge_kev(z, shell) * 1e-3)
    return np.unique(edges)


def photon_grid(material: Material) -> np.ndarray:
    """Photon-energy grid, MeV: log-uniform plus a point just below and just above every edge."""
    n = int(round(np.log10(E_MAX / E_MIN) * PHOTON_POINTS_PER_DECADE)) + 1
    base = np.geomspace(E_MIN, E_MAX, n)
    edges = absorption_edges(material)
    near = np.zeros(base.size, dtype=bool)
    for e in edges:  # drop base points that would crowd an edge pair
        near |= np.abs(np.log(base / e)) < 2e-3
    return np.unique(np.concatenate([base[~near], edges * (1 - 1e-9), edges * (1 + 1e-9)]))


def _build(material: Material, delta_threshold: float, brems_threshold: float) -> dict:
    E = photon_grid(material)
    xs = photon.photon_cross_sections(material, E)
    arrays = {"photon_energy": E, "mu_en": photon.mu_en_over_rho(material, E)}
    arrays.update({f"mu_{p}": np.asarray(xs[p], dtype=np.float64) for p in PHOTON_PROCESSES})

    T = electron_grid()
    s_col = collision.collision_stopping_power(material, T)
    s_rad = bremsstrahlung.radiative_stopping_power(material, T)
    arrays.update({
        "electron_energy": T,
        "s_col": s_col,
        "s_col_positron": collision.collision_stopping_power(material, T, positron=True),
        "s_rad": s_rad,
        "restricted_s_col": collision.restricted_collision_stopping_power(material, T, delta_threshold),
        "restricted_s_col_positron": collision.restricted_collision_stopping_power(
            material, T, delta_threshold, positron=True),
        "restricted_s_rad": bremsstrahlung.restricted_radiative_stopping_power(material, T, brems_threshold),
        "sigma_moller": collision.moller_cross_section(material, T, delta_threshold),
        "sigma_bhabha": collision.bhabha_cross_section(material, T, delta_threshold),
        "sigma_brems": bremsstrahlung.bremsstrahlung_cross_section(material, T, brems_threshold),
        "sigma_annihilation": annihilation.annihilation_cross_section(material, T),
        "density_effect": collision.density_effect(material, T),
        "csda_range": range_integral(T, s_col + s_rad),
    })
    arrays.update({f"elastic_{k}": np.asarray(v, dtype=np.float64)
                   for k, v in elastic.elastic_table(material, T).items()})
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}


def power_law_exponent(T: np.ndarray, s: np.ndarray) -> float:
    """Exponent p of the power law S ~ T^-p through the first two grid points (the low-energy extrapolation)."""
    return float(-np.log(s[1] / s[0]) / np.log(T[1] / T[0]))


def range_integral(T: np.ndarray, s_total: np.ndarray) -> np.ndarray:
    """CSDA range (g/cm²) on the grid T (MeV): integral of 1/S_total (S in MeV cm²/g) from 0 to T.

    Trapezoid in ln T on the table grid; below the first grid point S is
    taken as a power law fitted to the first two points (:func:`power_law_exponent`),
    integrated analytically: R(T0) = T0 / ((1 + p) S(T0)) for S ~ T^-p.
    """
    p = power_law_exponent(T, s_total)
    r0 = T[0] / ((1.0 + p) * s_total[0])
    f = T / s_total
    steps = 0.5 * (f[1:] + f[:-1]) * np.diff(np.log(T))
    return r0 + np.concatenate([[0.0], np.cumsum(steps)])


class MaterialTables:
    """Physics tables of one material, with log-log interpolation.

    Energies in MeV (scalar or array, 1 keV - 50 MeV); results in cm²/g,
    MeV cm²/g or g/cm² as named.
    """

    def __init__(self, material: Material, delta_threshold: float, brems_threshold: float, arrays: dict):
        self.material = material
        self.delta_threshold = delta_threshold
        self.brems_threshold = brems_threshold
        self.arrays = arrays

    def _interp(self, E, grid_name: str, name: str) -> np.ndarray | float:
        E_arr = np.asarray(E, dtype=np.float64)
        if E_arr.size and (not np.all(np.isfinite(E_arr)) or E_arr.min() < E_MIN * (1 - 1e-9)
                           or E_arr.max() > E_MAX * (1 + 1e-9)):
            raise InputError(f"energy {E!r} MeV is outside the table range [{E_MIN:g}, {E_MAX:g}] MeV")
        grid = self.arrays[grid_name]
        values = self.arrays[name]
        logv = np.log(np.maximum(values, 1e-300))
        out = np.exp(np.interp(np.log(E_arr), np.log(grid), logv))
        out = np.where(out < 1e-290, 0.0, out)
        return float(out) if np.ndim(E) == 0 else out

    def stopping_power(self, E, kind: str = "total", particle: str = "electron", restricted: bool = False):
        """Mass stopping power (MeV cm²/g) of electrons or positrons of kinetic energy E (MeV).

        kind: "collision" | "radiative" | "total"; restricted: below the delta-ray
        and bremsstrahlung production thresholds of these tables.
        """
        if kind not in STOPPING_KINDS:
            raise InputError(f"stopping power kind {kind!r} is not allowed: one of {', '.join(STOPPING_KINDS)}")
        if particle not in ("electron", "positron"):
            raise InputError(f"particle {particle!r} is not allowed: 'electron' or 'positron'")
        col = ("restricted_" if restricted else "") + "s_col" + ("_positron" if particle == "positron" else "")
        rad = "restricted_s_rad" if restricted else "s_rad"
        parts = {"collision": (col,), "radiative": (rad,), "total": (col, rad)}[kind]
        return sum(self._interp(E, "electron_energy", p) for p in parts)

    def csda_range(self, E):
        """CSDA range of electrons of kinetic energy E (MeV), g/cm²."""
        return self._interp(E, "electron_energy", "csda_range")

    def mu_over_rho(self, E, process: str | None = None):
        """Photon mass attenuation coefficient (cm²/g), all processes (coherent included) or one."""
        if process is None:
            return sum(self._interp(E, "photon_energy", f"mu_{p}") for p in PHOTON_PROCESSES)
        if process not in PHOTON_PROCESSES:
            raise InputError(f"photon process {process!r} is not allowed: one of {', '.join(PHOTON_PROCESSES)}")
        return self._interp(E, "photon_energy", f"mu_{process}")

    def mu_en_over_rho(self, E):
        """Photon mass energy-absorption coefficient (cm²/g)."""
        return self._interp(E, "photon_energy", "mu_en")


@functools.lru_cache(maxsize=1)
def physics_digest() -> str:
    """Cache key part: PHYSICS_VERSION plus a hash of the physics source, so a model change rebuilds tables."""
    h = hashlib.sha256(PHYSICS_VERSION.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")) + [Path(__file__).parents[1] / "material_data.py"]:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _cached(m: Material, key: str, build) -> dict:
    """Arrays of material m under cache key `key`: from memory, the disk cache, or build() (then written)."""
    version = physics_digest()
    key = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', m.name)}-{m.key()}-{key}-{version}"
    if key not in _MEMORY:
        path = cache.cache_dir() / f"{key}.h5"
        arrays = cache.read(path, version)
        if arrays is None:
            arrays = build()
            cache.write(path, arrays, version, {"material": m.name, "composition": m.composition_text(),
                                                "density": m.density, "I_eV": m.I_eV})
        _MEMORY[key] = arrays
    return _MEMORY[key]


def tables(material, delta_threshold: float = 0.010, brems_threshold: float = 0.010) -> MaterialTables:
    """Physics tables of a material (id, alias or :class:`Material`), from memory, disk cache or built.

    Thresholds (MeV) are the delta-ray (kinetic) and bremsstrahlung-photon
    production thresholds that the restricted quantities refer to.
    """
    m = get_material(material)
    for name, value, top in (("delta_threshold", delta_threshold, 1.0), ("brems_threshold", brems_threshold, E_MAX)):
        if not (E_MIN <= value <= top):
            raise InputError(f"physics.{name}: {value!r} is not allowed: MeV, must be >= {E_MIN:g} and <= {top:g}")
    arrays = _cached(m, f"d{delta_threshold:.6g}-b{brems_threshold:.6g}",
                     lambda: _build(m, delta_threshold, brems_threshold))
    return MaterialTables(m, delta_threshold, brems_threshold, arrays)


def spin_tables(material) -> dict:
    """Spin-corrected elastic arrays of a material on :func:`electron_grid` (:func:`.elastic_spin.spin_table`),
    from memory, disk cache or built (a few seconds per material)."""
    m = get_material(material)
    return _cached(m, "spin", lambda: {k: np.ascontiguousarray(v) for k, v in
                                        elastic_spin.spin_table(m, electron_grid()).items()})
