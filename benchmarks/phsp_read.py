"""Benchmark: IAEA phase-space reading speed and memory (IAEA(NDS)-0484 files, mcdose.phsp).

Writes a phase space of N particles (default 10^7, 33-byte records: x, y, z, u, v, weight and the
incremental history number) in a temporary folder with PhaseSpaceWriter, in chunks, then times a
validating scan() and full chunks() reads (chunks of 2^20 and 2^16 particles), printing particles
per second and the growth of the peak resident memory (VmHWM, reset before each pass where the
kernel allows it) to show that it stays at a few chunks, whatever the file size.
Run: python -m benchmarks.phsp_read [--particles N]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from mcdose.phsp import PhaseSpaceReader, PhaseSpaceWriter

WRITE_CHUNK = 1_000_000


def _status_kb(key: str) -> int:
    """A VmXXX line of /proc/self/status in kB (0 where there is none)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def write(path, n: int, seed: int = 1) -> int:
    """A phase space of n photons, electrons and positrons with histories of 1-4 particles; its original histories."""
    rng = np.random.default_rng(seed)
    histories = 0
    with PhaseSpaceWriter(path, title=f"benchmark, {n} particles") as w:
        for start in range(0, n, WRITE_CHUNK):
            m = min(WRITE_CHUNK, n - start)
            cos = rng.uniform(0.2, 1.0, m)
            phi = rng.uniform(0.0, 2 * np.pi, m)
            sin = np.sqrt(1 - cos * cos)
            new = rng.random(m) < 0.4
            new[0] = True
            incr = np.where(new, rng.integers(1, 4, m), 0)
            histories += int(incr.sum())
            w.write(rng.integers(0, 3, m), rng.normal(0, 3, m), rng.normal(0, 3, m), np.full(m, 100.0),
                    sin * np.cos(phi), sin * np.sin(phi), cos, rng.uniform(0.01, 20, m), rng.uniform(0.5, 2, m),
                    new, incr)
        w.close(histories)
    return histories


def timed(label: str, n: int, run) -> None:
    exact = _reset_peak()
    rss0 = _status_kb("VmRSS")
    hwm0 = _status_kb("VmHWM")
    t0 = time.perf_counter()
    run()
    dt = time.perf_counter() - t0
    growth = (_status_kb("VmHWM") - (rss0 if exact else hwm0)) / 1024
    print(f"{label:<22}{dt:>9.2f}{n / dt / 1e6:>16.2f}{growth:>24.1f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.phsp_read", description=__doc__.split("\n")[0])
    parser.add_argument("--particles", type=int, default=10_000_000, help="particles in the file (default 1e7)")
    args = parser.parse_args(argv)
    n = args.particles
    with tempfile.TemporaryDirectory() as tmp:
        stem = os.path.join(tmp, "bench")
        t0 = time.perf_counter()
        write(stem, n)
        reader = PhaseSpaceReader(stem)
        size = os.path.getsize(reader.header.data_path)
        print(f"{n:,} particles, {reader.header.record_length}-byte records, {size / 2 ** 20:,.0f} MiB written "
              f"in {time.perf_counter() - t0:.1f} s")
        print(f"{'pass':<22}{'time s':>9}{'M particles/s':>16}{'peak RSS growth MiB':>24}")
        timed("scan()", n, lambda: reader.scan([0, 1000, reader.n_particles // 10]))

        def read_all(chunk):
            total = 0
            for _, p in reader.chunks(chunk):
                total += len(p)
            assert total == n

        for chunk in (1 << 20, 1 << 16):
            timed(f"chunks({chunk:,})", n, lambda c=chunk: read_all(c))
        print(f"(the file is {size / 2 ** 20:,.0f} MiB; the growth is a few chunks of float64 arrays, not the file)")


if __name__ == "__main__":
    main()
