"""Benchmark: the electron beams E6/E9 and the IOERT applicator APP9 against EGSnrc (DOSRZnrc) on 1 and 2
threads: histories per second, the efficiency 1/(s^2 T) in EGSnrc's reference voxel beside EGSnrc's, the time
to 1 % there and the comparison table. The problems, configurations and criteria: mcdose.bench.egsnrc_electrons.

Run: python -m benchmarks.egsnrc_electrons [--histories N] [--cases E9 E6]
"""
from __future__ import annotations

import argparse

from mcdose.bench.egsnrc_electrons import BENCH_BATCHES, CASES, compare, config, reference
from mcdose.bench.timing import timed_run

from ._timing import print_table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.egsnrc_electrons", description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, default=200_000, help="histories per run (default 2e5)")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=["E9"], help="default: E9")
    args = parser.parse_args(argv)
    for case in args.cases:
        ref = reference(case)
        voxel = (0, ref.voxel())
        # 100 batches: the batch-method s then has a relative uncertainty of ~7 % (14 % on 1/(s^2 T))
        rows = [timed_run(config(case, args.histories, batches=BENCH_BATCHES), config(case, 2_000, batches=2), voxel,
                          threads) for threads in (1, 2)]
        lo, hi = CASES[case].voxel_z_cm
        beam = ("point source 60 cm above the water through a 10-cm PMMA applicator" if CASES[case].applicator
                else "5 cm parallel beam on water")
        print(f"{case}: {CASES[case].energy_mev:g} MeV electrons, {beam}; reference voxel r < 1 cm, z {lo:g}-{hi:g} cm")
        print_table([t for t, _ in rows], ref.efficiency)
        print(compare(rows[0][1], case).table())


if __name__ == "__main__":
    main()
