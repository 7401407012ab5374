"""Shared by the transport benchmarks: a timed run after a warm-up, and the speed/efficiency table.

Efficiency 1/(s^2 T): s = relative 1-sigma in a reference voxel, T = transport seconds times the
thread count (core seconds), to compare with EGSnrc's CPU seconds on one core.
"""
from dataclasses import dataclass

import mcdose


@dataclass(frozen=True)
class Timing:
    threads: int
    histories: int
    transport_s: float
    s: float            # relative 1-sigma in the reference voxel

    @property
    def rate(self) -> float:
        """Histories per second."""
        return self.histories / self.transport_s

    @property
    def efficiency(self) -> float:
        """1/(s^2 T) per core, 1/s."""
        return 1.0 / (self.s * self.s * self.transport_s * self.threads)


def timed_run(config: dict, warmup: dict, voxel: tuple, threads: int):
    """(Timing, Result) of `config` on `threads` threads; `warmup` runs first so that compilation and
    cache loading stay outside the timing; `voxel` indexes the reference voxel in the dose array."""
    mcdose.run(warmup, threads=threads)
    result = mcdose.run(config, threads=threads)
    transport = result.metadata["elapsed_seconds"]
    return Timing(threads, int(result.metadata["histories"]), transport, float(result.uncertainty[voxel])), result


def print_table(rows: list, egsnrc_efficiency: float) -> None:
    """The speed table, the efficiency beside EGSnrc's (one core) and the speed-up of the last row."""
    print(f"{'threads':>8}{'histories':>12}{'time s':>9}{'hist/s':>11}{'s %':>8}{'1/(s2 T) per core':>20}")
    for r in rows:
        print(f"{r.threads:>8}{r.histories:>12,}{r.transport_s:>9.2f}{r.rate:>11,.0f}"
              f"{100 * r.s:>8.3f}{r.efficiency:>20,.0f}")
    print(f"EGSnrc DOSRZnrc, one core: 1/(s2 T) = {egsnrc_efficiency:.0f} /s  "
          f"(mcdose/EGSnrc: {rows[0].efficiency / egsnrc_efficiency:.2g} x)")
    speedup = rows[-1].rate / rows[0].rate
    print(f"speed-up on {rows[-1].threads} threads: {speedup:.2f} "
          f"(parallel efficiency {speedup * rows[0].threads / rows[-1].threads:.2f})")
