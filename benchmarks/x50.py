"""Benchmark: the X50 problem (50 keV point source in water, EGSnrc reference) on 1 and 2 threads.

Prints histories per second, the relative uncertainty s in EGSnrc's reference voxel
(0.9 < r < 1.0 cm, |z| < 0.05 cm), the efficiency 1/(s^2 T) beside EGSnrc's 114 /s on one core of
this kind of machine (benchmarks/reference/README.md), and the parallel efficiency.
Run: python -m benchmarks.x50 [histories]
"""
import sys
import time

import mcdose

EGSNRC_EFFICIENCY = 114.0   # 1/s, DOSRZnrc on one core (benchmarks/reference/README.md)


def measure(histories: int, threads: int) -> dict:
    from tests.physics.test_x50_reference import config  # the same problem as the reference test
    cfg = config(histories)
    mcdose.run(config(20_000), threads=threads)          # compile / warm caches outside the timing
    t0 = time.perf_counter()
    result = mcdose.run(cfg, threads=threads)
    wall = time.perf_counter() - t0
    transport = result.metadata["elapsed_seconds"]
    s = float(result.uncertainty[9, 0])                    # annulus 0.9-1.0 cm
    return {"threads": threads, "histories": histories, "wall_s": wall, "transport_s": transport,
            "rate": histories / transport, "s": s, "efficiency": 1.0 / (s * s * transport * threads)}


def main() -> None:
    histories = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    rows = [measure(histories, 1), measure(histories, 2)]
    print("X50: 50 keV photons, point source in water, track-length kerma; reference voxel 0.9-1.0 cm")
    print(f"{'threads':>8}{'histories':>12}{'time s':>9}{'hist/s':>11}{'s %':>8}{'1/(s2 T) per core':>20}")
    for r in rows:
        print(f"{r['threads']:>8}{r['histories']:>12,}{r['transport_s']:>9.2f}{r['rate']:>11,.0f}"
              f"{100 * r['s']:>8.3f}{r['efficiency']:>20,.0f}")
    print(f"EGSnrc DOSRZnrc, one core: 1/(s2 T) = {EGSNRC_EFFICIENCY:.0f} /s  "
          f"(mcdose/EGSnrc: {rows[0]['efficiency'] / EGSNRC_EFFICIENCY:.0f} x)")
    print(f"parallel efficiency on 2 threads: {rows[1]['rate'] / (2 * rows[0]['rate']):.2f}")


if __name__ == "__main__":
    main()
