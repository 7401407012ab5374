"""Benchmark: the X50 problem (50 keV point source in water, EGSnrc reference) on 1 and 2 threads.

Prints, for track-length and analog scoring, histories per second, the relative uncertainty s in EGSnrc's
reference voxel
(0.9 < r < 1.0 cm, |z| < 0.05 cm), the efficiency 1/(s^2 T) beside EGSnrc's 114 /s on one core of
this kind of machine (README.md of mcdose.reference), and the 2-thread speed-up. The problem:
mcdose.bench.x50 (the same as the reference test's).
Run: python -m benchmarks.x50 [histories]
"""
import sys

from mcdose.bench.timing import timed_run
from mcdose.bench.x50 import config, reference

from ._timing import print_table


BATCHES = 100       # s from 100 batches is good to ~7 % (14 % on 1/(s^2 T)); 10 gave 22 %


def _config(histories: int, estimator: str, batches: int = BATCHES) -> dict:
    raw = config(histories, batches=batches)
    raw["scoring"]["estimator"] = estimator
    return raw


def main() -> None:
    histories = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    ref = reference()
    for estimator in ("tracklength", "analog"):
        rows = [timed_run(_config(histories, estimator), _config(20_000, estimator, 2), (ref.voxel(), 0), threads)[0]
                for threads in (1, 2)]
        print(f"X50: 50 keV photons, point source in water, {estimator} scoring; reference voxel 0.9-1.0 cm")
        print_table(rows, ref.efficiency)


if __name__ == "__main__":
    main()
