"""ESTAR/XCOM-style data table of one material (``mcdose materials NAME --table``)."""
from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from .material_tables import E_MAX, E_MIN, tables

COLUMNS = (
    ("energy_MeV", "E", "MeV"),
    ("S_col", "S_col", "MeV cm2/g"),
    ("S_rad", "S_rad", "MeV cm2/g"),
    ("S_total", "S_tot", "MeV cm2/g"),
    ("csda_range", "CSDA", "g/cm2"),
    ("mu_coherent", "coher", "cm2/g"),
    ("mu_incoherent", "incoh", "cm2/g"),
    ("mu_photoelectric", "photo", "cm2/g"),
    ("mu_pair", "pair", "cm2/g"),
    ("mu_over_rho", "mu/rho", "cm2/g"),
    ("mu_en_over_rho", "mu_en/rho", "cm2/g"),
)


def standard_energies() -> np.ndarray:
    """The ESTAR energy list: 1, 1.25, 1.5, 1.75, 2, 2.5, ..., 9 per decade, 1 keV - 50 MeV."""
    mantissas = (1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 9)
    values = [m * 10.0 ** d for d in range(-3, 2) for m in mantissas]
    return np.array([v for v in values if E_MIN <= v <= E_MAX * (1 + 1e-12)])


@dataclass
class MaterialTable:
    """Rows of electron and photon data of one material at the standard energies."""

    material: object
    rows: np.ndarray  # (n, len(COLUMNS))

    def text(self) -> str:
        m = self.material
        head = [f"{m.name}: {m.description}",
                f"density {m.density:g} g/cm3, I = {m.I_eV:g} eV, composition: {m.composition_text()}",
                "electrons: collision, radiative, total stopping power (MeV cm2/g), CSDA range (g/cm2); "
                "photons: mass attenuation per process and total with coherent, mass energy absorption (cm2/g)",
                "  ".join(f"{short:>10}" for _, short, _ in COLUMNS)]
        body = ["  ".join(f"{v:>10.4e}" for v in row) for row in self.rows]
        return "\n".join(head + body)

    def write_csv(self, path) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([f"# mcdose data table for {self.material.name}; units in column names"])
            w.writerow([f"{name} [{unit}]" for name, _, unit in COLUMNS])
            for row in self.rows:
                w.writerow([f"{v:.6e}" for v in row])


def material_table(material) -> MaterialTable:
    """Electron and photon data of a material at the standard ESTAR energies."""
    t = tables(material)
    E = standard_energies()
    s_col, s_rad = t.stopping_power(E, "collision"), t.stopping_power(E, "radiative")
    cols = [E, s_col, s_rad, s_col + s_rad, t.csda_range(E),
            t.mu_over_rho(E, "coherent"), t.mu_over_rho(E, "incoherent"),
            t.mu_over_rho(E, "photoelectric"), t.mu_over_rho(E, "pair"),
            t.mu_over_rho(E), t.mu_en_over_rho(E)]
    return MaterialTable(t.material, np.column_stack(cols))
