"""A bench run and its tables: the criteria (one row per Check) and the efficiency 1/(s^2 T) beside EGSnrc's,
as text for a terminal and as Markdown for the README."""
from __future__ import annotations

from dataclasses import dataclass

from .table import COLUMNS, markdown_table, rows, text_table

EFFICIENCY_COLUMNS = ("case", "histories", "threads", "T (s)", "histories/s", "s in ref. voxel",
                      "1/(s² T) per core", "EGSnrc 1/(s² T), one core", "mcdose / EGSnrc")
EFFICIENCY_NOTE = "Efficiency 1/(s² T): s in EGSnrc's reference voxel, T in core seconds (transport time × threads)."


@dataclass(frozen=True)
class Bench:
    """The outcomes of the cases run (cases.Outcome), how they were run and on what."""

    outcomes: tuple
    command: str        # the command line that ran it
    threads: int
    wall_s: float
    machine: str
    version: str

    @property
    def comparisons(self) -> list:
        return [o.comparison for o in self.outcomes]

    @property
    def passes(self) -> bool:
        return all(c.passes for c in self.comparisons)

    def summary(self) -> str:
        """One line: verdict counts, level, machine, threads, wall time."""
        checks = [c for cmp in self.comparisons for c in cmp.checks]
        failed = sum(not c.passes for c in checks)
        return (f"{len(checks) - failed} PASS, {failed} FAIL; `{self.command}`, "
                f"mcdose {self.version}, {self.machine}, {self.threads} thread(s), wall time {self.wall_s:.0f} s")

    def efficiency_rows(self) -> list:
        """Cells of the efficiency table (EFFICIENCY_COLUMNS), one row per timed case."""
        out = []
        for o in self.outcomes:
            t = o.timing
            if t is not None:
                out.append((o.comparison.case, f"{t.histories:,}", str(t.threads), f"{t.transport_s:.1f}",
                            f"{t.rate:,.0f}", f"{100 * t.s:.2f} %", f"{t.efficiency:,.0f} /s",
                            f"{o.egsnrc_efficiency:,.0f} /s", f"{t.efficiency / o.egsnrc_efficiency:.2g}×"))
        return out


def text(bench: Bench) -> str:
    """Both tables in aligned columns and the summary line."""
    eff = [EFFICIENCY_COLUMNS] + bench.efficiency_rows()
    widths = [max(len(r[i]) for r in eff) for i in range(len(EFFICIENCY_COLUMNS))]
    efficiency = "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                           for r in eff)
    parts = [text_table(bench.comparisons)]
    if len(eff) > 1:
        parts += ["", EFFICIENCY_NOTE, efficiency]
    return "\n".join(parts + ["", bench.summary()])


def markdown(bench: Bench) -> str:
    """Both tables as Markdown and the summary line."""
    parts = [markdown_table(COLUMNS, rows(bench.comparisons))]
    eff = bench.efficiency_rows()
    if eff:
        parts.append(f"{EFFICIENCY_NOTE}\n\n{markdown_table(EFFICIENCY_COLUMNS, eff)}")
    return "\n\n".join(parts + [bench.summary()]) + "\n"
