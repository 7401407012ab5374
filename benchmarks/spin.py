"""Benchmark: what the spin (Mott) correction of elastic scattering changes, each figure with its setting.

E6/E9 (EGSnrc's beams): R90 and R50 with physics.spin off (EGSnrc's setting in ../shared/refs) and on, and
the time per history on one thread; electron backscatter coefficients (number, energy) of Al, Cu, Au, Pb at
0.1, 1 and 4 MeV; the dose enhancement in front of 3 mm of lead at 9 MeV. The problems:
mcdose.bench.backscatter and mcdose.bench.egsnrc_electrons.

Run: python -m benchmarks.spin [--histories N]
"""
from __future__ import annotations

import argparse

import mcdose
from mcdose.bench import backscatter
from mcdose.bench.egsnrc_electrons import config as egs_config
from mcdose.bench.egsnrc_electrons import reference
from mcdose.bench.timing import cpu_model, timed_run

TARGETS = ("aluminium", "copper", "gold", "lead")
ENERGIES = (0.1, 1.0, 4.0)


def _beams(histories: int) -> None:
    print(f"{'beam':<6}{'spin':<6}{'R90 cm':>16}{'R50 cm':>16}{'us/history (1 thread)':>24}")
    for case in ("E6", "E9"):
        voxel = (0, reference(case).voxel())
        for spin in (False, True):
            timing, result = timed_run(egs_config(case, histories, batches=20, spin=spin),
                                       egs_config(case, 2_000, batches=2, spin=spin), voxel, 1)
            m = result.pdd(1.0).metrics()
            print(f"{case:<6}{'on' if spin else 'off':<6}{m.r90_cm.value:>9.3f}±{m.r90_cm.sigma:.3f}"
                  f"{m.r50_cm.value:>9.3f}±{m.r50_cm.sigma:.3f}"
                  f"{1e6 * timing.transport_s / timing.histories:>24.1f}")


def _backscatter(histories: int) -> None:
    print(f"{'target':<11}{'MeV':>5}{'eta off':>16}{'eta on':>16}{'eta_E off':>16}{'eta_E on':>16}{'s off':>8}"
          f"{'s on':>8}")
    for target in TARGETS:
        for energy in ENERGIES:
            row, times = [], []
            for spin in (False, True):
                result = mcdose.run(backscatter.config(target, energy, histories, spin))
                row.append(backscatter.coefficients(result, energy))
                times.append(result.metadata["elapsed_seconds"])
            (n0, s0, e0, t0), (n1, s1, e1, t1) = row
            print(f"{target:<11}{energy:>5g}{n0:>10.3f}±{s0:.3f}{n1:>10.3f}±{s1:.3f}{e0:>10.3f}±{t0:.3f}"
                  f"{e1:>10.3f}±{t1:.3f}{times[0]:>8.1f}{times[1]:>8.1f}")


def _lead_slab(histories: int) -> None:
    for spin in (False, True):
        with_lead = mcdose.run(backscatter.slab_config(histories, spin, lead=True))
        without = mcdose.run(backscatter.slab_config(histories, spin, lead=False))
        ratio, sigma = backscatter.enhancement(with_lead, without)
        print(f"9 MeV, 3 mm lead at 1.5 cm, dose 1.45-1.50 cm (r < 2 cm) with / without lead, spin "
              f"{'on' if spin else 'off'}: {ratio:.3f} ± {sigma:.3f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spin", description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, default=100_000, help="histories per beam run (default 1e5)")
    args = parser.parse_args(argv)
    print(f"CPU: {cpu_model()}")
    _beams(args.histories)
    _backscatter(max(2_000, args.histories // 10))
    _lead_slab(max(2_000, args.histories // 2))


if __name__ == "__main__":
    main()
