"""mcdose's physics tables against NIST: nist_reference.csv (ESTAR stopping powers and CSDA ranges, XCOM /
NISTIR 5632 mu/rho and mu_en/rho for water and air) and nist_extended.csv (706 values: mu/rho, mu_en/rho and
ESTAR total stopping power for 11 materials), both in mcdose.reference (provenance in its README.md).

Tolerances of issue 3, relative: collision stopping power 0.5 %, radiative 5 %, CSDA range 1 %, mu/rho 2 %,
mu_en/rho 3 %. total_sp (collision + radiative, the only ESTAR quantity found for the extended materials) gets
the same budget propagated through our own split: (0.5 % S_col + 5 % S_rad) / S_tot. The tables are
deterministic, so these are systematic allowances (sigma 0). Energies in MeV; stopping powers in MeV cm2/g,
CSDA ranges in g/cm2, mu/rho and mu_en/rho in cm2/g.
"""
from __future__ import annotations

import csv

from . import reference_text
from .table import Check, Comparison

FILES = ("nist_reference.csv", "nist_extended.csv")
TOLERANCE = {"collision_sp": 0.005, "radiative_sp": 0.05, "csda_range": 0.01,
             "mu_over_rho": 0.02, "mu_en_over_rho": 0.03}
ALIASES = {"S_col": "collision_sp", "S_rad": "radiative_sp"}        # nist_reference.csv's names
UNITS = {"collision_sp": "MeV cm2/g", "radiative_sp": "MeV cm2/g", "total_sp": "MeV cm2/g", "csda_range": "g/cm2",
         "mu_over_rho": "cm2/g", "mu_en_over_rho": "cm2/g"}


def load(name: str) -> list[dict]:
    """The rows of reference file `name` (one of FILES): material, quantity (a key of UNITS), energy_MeV and
    value as float."""
    rows = list(csv.DictReader(line for line in reference_text(name).splitlines() if not line.startswith("#")))
    for r in rows:
        r["quantity"] = ALIASES.get(r["quantity"], r["quantity"])
        r["energy_MeV"] = float(r["energy_MeV"])
        r["value"] = float(r["value"])
    return rows


def evaluate(t, quantity: str, E: float) -> tuple[float, float]:
    """(mcdose value, relative tolerance) of one quantity at energy E (MeV) from tables t."""
    if quantity == "total_sp":
        s_col = t.stopping_power(E, "collision")
        s_rad = t.stopping_power(E, "radiative")
        return s_col + s_rad, (TOLERANCE["collision_sp"] * s_col + TOLERANCE["radiative_sp"] * s_rad) / (s_col + s_rad)
    value = {
        "collision_sp": lambda: t.stopping_power(E, "collision"),
        "radiative_sp": lambda: t.stopping_power(E, "radiative"),
        "csda_range": lambda: t.csda_range(E),
        "mu_over_rho": lambda: t.mu_over_rho(E),
        "mu_en_over_rho": lambda: t.mu_en_over_rho(E),
    }[quantity]()
    return float(value), TOLERANCE[quantity]


def compare() -> Comparison:
    """One Check per file and quantity: the row with the least margin shown, passing when every row does."""
    from ..physics import tables
    checks = []
    for name in FILES:
        by_quantity: dict = {}
        for r in load(name):
            ours, tol = evaluate(tables(r["material"]), r["quantity"], r["energy_MeV"])
            by_quantity.setdefault(r["quantity"], []).append((ours / r["value"] - 1.0, tol, ours, r))
        for quantity, points in by_quantity.items():
            dev, tol, ours, r = max(points, key=lambda p: abs(p[0]) - p[1])
            failed = sum(abs(p[0]) > p[1] for p in points)
            checks.append(Check(f"{quantity}, {name}", ours, r["value"], UNITS[quantity], dev, 0.0, tol, "relative",
                                failed == 0, f"worst {r['material']} {r['energy_MeV']:g} MeV; "
                                             f"{failed}/{len(points)} fail"))
    return Comparison("NIST", tuple(checks))
