"""Timed runs and the efficiency 1/(s^2 T), and the machine they ran on.

Efficiency 1/(s^2 T): s = relative 1-sigma in a reference voxel, T = transport seconds times the thread count
(core seconds), to compare with EGSnrc's CPU seconds on one core.
"""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass


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


def timed_run(config: dict, warmup: dict, voxel: tuple, threads: int) -> tuple:
    """(Timing, Result) of `config` on `threads` threads (>= 1); `warmup` runs first so that compilation and
    cache loading stay outside the timing; `voxel` indexes the reference voxel in the dose array."""
    import mcdose
    mcdose.run(warmup, threads=threads)
    result = mcdose.run(config, threads=threads)
    transport = result.metadata["elapsed_seconds"]
    return Timing(threads, int(result.metadata["histories"]), transport, float(result.uncertainty[voxel])), result


def cpu_model() -> str:
    """The processor's model name (/proc/cpuinfo, else the platform's), with the number of logical CPUs."""
    name = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            name = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{name or platform.processor() or platform.machine()}, {os.cpu_count() or 1} logical CPUs"
