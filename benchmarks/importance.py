"""Benchmark: the commissioning kernels' geometric importance (mcdose.commission.kernels.IMPORTANCE) against the
analog run of the same kernel: a Mobetron-type 9 MeV head (9.5 MeV, 0.5 degree node) over the 4 and 10 cm flat
applicators into water.

Prints, for each: microseconds per history, the rms relative 1-sigma of the axis depth dose (0.5-4 cm, within the
set-up's depth-dose radius) and of the profile inside the field at 1.5 cm depth, their efficiencies 1/(s^2 T) on
one thread, the gain, and the largest |difference| / sigma between the two runs' depth doses (unbiased: about 3
at most over the 36 points). Run: python -m benchmarks.importance [analog_histories]
"""
import sys
import tempfile
from pathlib import Path

import numpy as np

from mcdose import machines
from mcdose.bench.timing import cpu_model, timed_run
from mcdose.commission import kernels
from mcdose.commission.setups import Setup

NODE = {"mean_energy": 9.5, "energy_fwhm": 0.0, "angular_sigma": 0.5}
BATCHES = 20
DEPTHS = slice(5, 41)          # 0.5-4 cm in 0.1 cm slabs


def _configs(machine_file: Path, diameter: float, histories: int) -> tuple:
    """(analog, importance) configurations of the kernel of this applicator."""
    setup = Setup(diameter, 0.0, "soft", 0.0)
    scoring = {"mesh": "cylindrical", "r_edges": {"min": 0.0, "max": 0.5 * diameter + 3.0, "step": 0.2},
               "z_edges": {"min": 0.0, "max": 6.5, "step": 0.1}}
    vr = kernels.run_config(str(machine_file), 9.0, setup, scoring, histories, 5)
    vr["run"]["batches"] = BATCHES
    analog = {k: v for k, v in vr.items() if k not in ("parts", "variance_reduction")}
    return setup, analog, vr


def _noise(result, setup) -> tuple:
    """(rms relative sigma of the axis depth dose, of the profile inside the field; the depth dose)."""
    pdd = result.pdd(setup.pdd_radius_cm)
    prof = result.profile("x", 1.5)
    inside = np.abs(prof.position_cm) < 0.5 * setup.applicator - 0.3
    rms = lambda c, sel: float(np.sqrt(np.mean((c.sigma[sel] / c.dose[sel]) ** 2)))   # noqa: E731
    return rms(pdd, DEPTHS), rms(prof, inside), pdd


def main() -> None:
    histories = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    machine = machines.load("mobetron")
    with tempfile.TemporaryDirectory() as folder:
        machine_file = Path(folder) / "kernel.toml"
        machine_file.write_text(kernels.machine_text(machine, 9.0, NODE), encoding="utf-8")
        print(f"importance {kernels.IMPORTANCE}; {BATCHES} batches; one thread")
        print(f"{'applicator':>10}{'run':>12}{'us/hist':>9}{'s pdd %':>9}{'s prof %':>10}{'eff pdd':>9}"
              f"{'eff prof':>10}")
        for diameter in (4.0, 10.0):
            setup, analog, vr = _configs(machine_file, diameter, histories)
            vr["run"]["histories"] = histories // 4
            eff = {}
            for name, cfg in (("analog", analog), ("importance", vr)):
                warm = {**cfg, "run": {**cfg["run"], "histories": 200, "batches": 2}}
                timing, result = timed_run(cfg, warm, (0, 0), 1)
                s_pdd, s_prof, pdd = _noise(result, setup)
                eff[name] = (1 / (s_pdd ** 2 * timing.transport_s), 1 / (s_prof ** 2 * timing.transport_s), pdd)
                print(f"{diameter:>10g}{name:>12}{1e6 * timing.transport_s / timing.histories:>9.0f}"
                      f"{100 * s_pdd:>9.2f}{100 * s_prof:>10.2f}{eff[name][0]:>9.1f}{eff[name][1]:>10.1f}")
            a, v = eff["analog"][2], eff["importance"][2]
            pull = np.abs(a.dose - v.dose)[DEPTHS] / np.hypot(a.sigma, v.sigma)[DEPTHS]
            print(f"{'':>10}{'gain':>12}{'':>9}{'':>9}{'':>10}{eff['importance'][0] / eff['analog'][0]:>9.1f}"
                  f"{eff['importance'][1] / eff['analog'][1]:>10.1f}   depth dose max |diff|/sigma {pull.max():.1f}")
    print(f"CPU: {cpu_model()}")


if __name__ == "__main__":
    main()
