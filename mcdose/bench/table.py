"""The rows of the benchmark table: one acceptance criterion each, PASS when |difference| <= tolerance.

tolerance = allowance + k sigma: the allowance is the stated systematic part (cross sections, algorithm), sigma
the 1-sigma of the difference from both Monte Carlo results combined (0 for deterministic quantities), k = K_SIGMA
unless a criterion was set as a fixed budget at a stated statistics (k = 0). Units of values and differences:
"cm", "relative" (a fraction, shown in %), "of Dmax" (a fraction of the reference Dmax, shown in %), "count" or
any unit text ("Gy/e", "cm2/g").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

K_SIGMA = 3.0
COLUMNS = ("case", "metric", "mcdose", "reference", "difference", "tolerance", "verdict")
_PERCENT = {"relative": "%", "of Dmax": "% Dmax"}


@dataclass(frozen=True)
class Check:
    """One criterion. For a criterion over many points (depths, NIST rows) the values shown are those of the
    point with the least margin, `where` names it, and `passes` holds for every point."""

    name: str
    ours: float
    reference: float
    value_unit: str
    difference: float
    sigma: float
    allowance: float
    unit: str
    passes: bool
    where: str = ""
    k: float = K_SIGMA

    @property
    def tolerance(self) -> float:
        return self.allowance + self.k * self.sigma


def check(name, ours, reference, value_unit, difference, sigma, allowance, unit, where="", k=K_SIGMA) -> Check:
    """A single-point Check: passes when |difference| <= allowance + k sigma."""
    return Check(name, float(ours), float(reference), value_unit, float(difference), float(sigma), allowance, unit,
                 bool(abs(difference) <= allowance + k * sigma), where, k)


@dataclass(frozen=True)
class Comparison:
    """Every Check of one case."""

    case: str
    checks: tuple

    @property
    def passes(self) -> bool:
        return all(c.passes for c in self.checks)

    def __getitem__(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def failures(self) -> list:
        return [c.name for c in self.checks if not c.passes]

    def table(self) -> str:
        return text_table([self])

    __str__ = table


def fmt(x: float, unit: str, signed: bool = False) -> str:
    """A value with its unit: fractions ("relative", "of Dmax") in %, lengths in cm to 0.1 mm."""
    if math.isnan(x):
        return "-"
    sign = "+" if signed else ""
    if unit in _PERCENT:
        return f"{100 * x:{sign}.3g} {_PERCENT[unit]}"
    if unit == "cm":
        return f"{x:{sign}.3f} cm"
    if unit == "count":
        return f"{x:{sign}.0f}"
    return f"{x:{sign}.4g} {unit}".rstrip()


def cells(case: str, c: Check) -> tuple:
    """The table cells of one Check (COLUMNS)."""
    metric = f"{c.name} ({c.where})" if c.where else c.name
    tolerance = fmt(c.tolerance, c.unit)
    if c.k and c.sigma:
        tolerance += f" ({fmt(c.allowance, c.unit)} + {c.k:g}σ)"
    return (case, metric, fmt(c.ours, c.value_unit), fmt(c.reference, c.value_unit), fmt(c.difference, c.unit, True),
            tolerance, "PASS" if c.passes else "FAIL")


def rows(comparisons) -> list:
    """Cells of every Check of every Comparison, in order."""
    return [cells(cmp.case, c) for cmp in comparisons for c in cmp.checks]


def text_table(comparisons) -> str:
    """The table in aligned columns, for a terminal."""
    body = [COLUMNS] + rows(comparisons)
    widths = [max(len(r[i]) for r in body) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in body)


def markdown_table(head, body) -> str:
    """A Markdown (GitHub) table of string cells; '|' in a cell escaped."""
    def line(r):
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in r) + " |"
    return "\n".join([line(head), "|" + "---|" * len(head)] + [line(r) for r in body])
