"""Run to an uncertainty goal: stop at the first batch prefix whose batch-method relative 1-sigma reaches it.

``mcdose run CONFIG -o OUT.h5 --uncertainty 1% [--at x,y,z | --at REGION]``: the run's histories and batches
are the budget; after each batch the relative 1-sigma (the batch method of mcdose.runner) is evaluated at the
dose maximum of the batches merged so far (default), at the mesh bin holding a point (cm), or in a region of
the per-region tally (the phantom, a part, the world). The Merger sums batches in index order, so the goal is
tested on the prefixes 0..k-1 one after the other and the run keeps exactly the first prefix that reaches it:
the same k, and the same bits, whatever executor ran the batches and whatever order they finished in. The
estimate needs several batches: the goal is not tested before MIN_BATCHES are merged. The result records the
goal, where it was tested, what was reached and whether it was met.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .errors import InputError

MIN_BATCHES = 5


@dataclass(frozen=True)
class UncertaintyGoal:
    """relative: the goal, a relative 1-sigma (0.01 = 1 %); point_cm: (x, y, z) cm, or region: a region name,
    or neither (the dose maximum)."""

    relative: float
    point_cm: tuple | None = None
    region: str | None = None

    @classmethod
    def parse(cls, text: str, at: str | None = None) -> "UncertaintyGoal":
        """From the command line: "1%" or "0.01" (0 < goal < 100 %), and --at "x,y,z" (cm) or a region name."""
        m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(%?)\s*", str(text))
        value = None
        if m:
            try:
                value = float(m.group(1)) / (100.0 if m.group(2) else 1.0)
            except ValueError:
                value = None
        if value is None or not (0 < value < 1) or not math.isfinite(value):
            raise InputError(f"--uncertainty: {text!r} is not allowed: a relative 1-sigma such as 1% or 0.01, "
                             "between 0 and 100 %")
        if at is None:
            return cls(value)
        parts = [p.strip() for p in at.split(",")]
        if len(parts) == 3:
            try:
                point = tuple(float(p) for p in parts)
            except ValueError:
                point = None
            if point is None or not all(map(math.isfinite, point)):
                raise InputError(f"--at: {at!r} is not allowed: a point x,y,z in cm or a region name")
            return cls(value, point_cm=point)
        if not at or not at.isprintable():
            raise InputError(f"--at: {at!r} is not allowed: a point x,y,z in cm or a region name")
        return cls(value, region=at)

    @property
    def where(self) -> str:
        if self.point_cm is not None:
            return f"the bin at ({', '.join(f'{c:g}' for c in self.point_cm)}) cm"
        return f"region {self.region}" if self.region is not None else "the dose maximum"

    def check_target(self, problem) -> None:
        """InputError before any work when the point is outside the mesh or the region does not exist."""
        if self.region is not None and self.region not in tuple(problem.region_names):
            raise InputError(f"--at: region {self.region!r} is not one of this run's regions: "
                             f"{', '.join(problem.region_names)}")
        if self.point_cm is not None:
            _bin_of(problem.grid, self.point_cm)

    def relative_sigma(self, merger) -> tuple:
        """(dose or energy there, relative 1-sigma there) of the batches merged so far (batch method)."""
        from .runner import _batch_estimate
        k, n = merger.merged, merger.histories
        if self.region is not None:
            i = tuple(merger.problem.region_names).index(self.region)
            energy, _, rel = _batch_estimate((merger.sum_r[i:i + 1], merger.sum_nr2[i:i + 1]), np.ones(1), k, n)
            return float(energy[0]), float(rel[0])
        if self.point_cm is not None:
            i = _bin_of(merger.problem.grid, self.point_cm)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                dose = np.where(merger.problem.masses.reshape(-1) > 0,
                                merger.sum_x / merger.problem.masses.reshape(-1), 0.0)
            i = int(np.argmax(dose))
        _, _, rel = _batch_estimate((merger.sum_x[i:i + 1], merger.sum_nx2[i:i + 1]), np.ones(1), k, n)
        return float(merger.sum_x[i]), float(rel[0])

    def check(self, merger) -> tuple | None:
        """(batches, relative 1-sigma) when the merged prefix reaches the goal, else None."""
        if merger.merged < MIN_BATCHES:
            return None
        value, rel = self.relative_sigma(merger)
        return (merger.merged, rel) if value > 0 and rel <= self.relative else None

    def describe_reached(self, merger) -> str:
        return (f"uncertainty goal {100 * self.relative:g} % reached after {merger.reached[0]} batches: "
                f"{100 * merger.reached[1]:.3g} % at {self.where}")

    def metadata(self, merger) -> dict:
        """Result attributes: the goal, where, what the merged batches reached and whether that met it."""
        _, rel = self.relative_sigma(merger)
        return {"uncertainty_goal": float(self.relative), "uncertainty_goal_at": self.where,
                "uncertainty_reached": rel, "uncertainty_goal_met": merger.reached is not None}


def _bin_of(grid, point) -> int:
    """Flat index of the mesh bin holding `point` (cm); InputError when it is outside the mesh."""
    x, y, z = point
    if grid.kind == "cartesian":
        coords = (("x_edges", x), ("y_edges", y), ("z_edges", z))
    elif grid.kind == "cylindrical":
        coords = (("r_edges", math.hypot(x, y)), ("z_edges", z))
    else:
        c = grid.center
        coords = (("r_edges", math.dist(point, c)),)
    index = []
    for name, value in coords:
        e = grid.edges[name]
        if not e[0] <= value <= e[-1]:
            raise InputError(f"--at: the point ({x:g}, {y:g}, {z:g}) cm is outside the scoring mesh "
                             f"({name[0]} {e[0]:g}..{e[-1]:g} cm)")
        index.append(int(np.clip(np.searchsorted(e, value, side="right") - 1, 0, e.size - 2)))
    return int(np.ravel_multi_index(tuple(index), grid.shape))
