"""Commissioning round trip and timing (issue 20): measured-like curves of a known Mobetron-type 9 MeV beam
(mean 9.5 MeV, FWHM 0.8 MeV, angular sigma 0.5 degrees; the library machine starts from 9.2 / 0.45 / 0.5)
for the 4, 6 and 10 cm applicators, 0.5 % noise and positioning errors of +0.5, -0.5, +0.5 mm, fitted back
by mcdose commission. Prints the fitted parameters beside the truth, R50 of the truth, of the measured
curves and of the verification runs, and the times of the kernels, the fit and the verification.

Run: python -m benchmarks.commission_round_trip [--folder DIR] [--kernel-histories N]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mcdose.commission.round_trip import SETUPS, SHIFTS_CM, TRUTH, round_trip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--measured-histories", type=int, default=300_000)
    parser.add_argument("--kernel-histories", type=int, default=10_000)
    parser.add_argument("--histories", type=int, default=100_000, help="verification runs")
    parser.add_argument("--refine-histories", type=int, help="second pass on the kernels the fit uses")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(exist_ok=True)
        start = time.perf_counter()
        rt = round_trip("mobetron", 9.0, TRUTH, SETUPS, SHIFTS_CM, folder, args.measured_histories,
                        args.kernel_histories, args.histories, log=lambda line: None,
                        refine_histories=args.refine_histories)
        print(rt.table())
        print(f"total {time.perf_counter() - start:.0f} s (including the synthetic measurements)")


if __name__ == "__main__":
    main()
