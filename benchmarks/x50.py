"""Benchmark: the X50 problem (50 keV point source in water, EGSnrc reference) on 1 and 2 threads.

Prints histories per second, the relative uncertainty s in EGSnrc's reference voxel
(0.9 < r < 1.0 cm, |z| < 0.05 cm), the efficiency 1/(s^2 T) beside EGSnrc's 114 /s on one core of
this kind of machine (benchmarks/reference/README.md), and the 2-thread speed-up.
Run: python -m benchmarks.x50 [histories]
"""
import sys

from ._timing import print_table, timed_run

EGSNRC_EFFICIENCY = 114.0   # 1/s, DOSRZnrc on one core (benchmarks/reference/README.md)
VOXEL = (9, 0)              # annulus 0.9-1.0 cm of the mid-plane slab


def main() -> None:
    from tests.physics.test_x50_reference import config  # the same problem as the reference test
    histories = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    rows = [timed_run(config(histories), config(20_000), VOXEL, threads)[0] for threads in (1, 2)]
    print("X50: 50 keV photons, point source in water, track-length kerma; reference voxel 0.9-1.0 cm")
    print_table(rows, EGSNRC_EFFICIENCY)


if __name__ == "__main__":
    main()
