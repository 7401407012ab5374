"""INTRABEAM: the first-principles source model of the 50 kV probe, the efficiency bremsstrahlung splitting
buys, the bare probe in water beside the published figures, and the 4-cm sphere's treatment time.

* Model: electrons per second, photons per electron and mean energy, built analog and with splitting 100;
  efficiency of the photon yield 1 / (s^2 T) (s: relative 1-sigma of the yield, Poisson in the events).
* Bare probe in water: the fitted n of D ~ r^-n between 5 and 35 mm (published ~3, Armoogum et al.,
  Radiat. Oncol. 2 (2007) 11); behind 5 and 10 mm of water the narrow-beam aluminium HVL effective energy
  and the fluence-mean energy beside the published 18 and 24 keV (broad-beam HVL effective energies).
* 4-cm sphere in water: surface dose, the dose at 5, 10, 20 mm relative to it, the treatment time of 20 Gy
  at the surface with 0.8 Gy/min there (Sethi et al., Front. Oncol. 8 (2018) 74: 25 min), and the
  anisotropy of the surface dose (forward, sideways, 45 degrees back).

EGSnrc has no figure for this problem on this machine; none is printed beside ours.
Run: python -m benchmarks.intrabeam [--histories N] [--model-histories N]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import mcdose
from mcdose.analysis import aluminium_hvl, effective_energy
from mcdose.sources import intrabeam_model
from mcdose.treatment import treatment_plan


def _model(histories: int, splitting: int) -> tuple:
    t0 = time.perf_counter()
    model = intrabeam_model.build(50.0, histories=histories, splitting=splitting)
    seconds = time.perf_counter() - t0
    events = model.attrs["photon_records"] / splitting
    s = 1.0 / np.sqrt(max(events, 1.0))
    print(f"  splitting {splitting:>4}: {histories / seconds:8.0f} electrons/s, {model.photons_per_electron:.5f} "
          f"photons/electron, mean {1000 * model.mean_energy():.2f} keV, efficiency 1/(s^2 T) = "
          f"{1.0 / (s * s * seconds):.3g} /s")
    return model


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.intrabeam", description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, default=1_000_000, help="photon histories of the water runs")
    parser.add_argument("--model-histories", type=int, default=100_000, help="electrons of each model build")
    args = parser.parse_args(argv)
    print("source model, 50 kV (2 threads):")
    _model(args.model_histories, 1)
    model = _model(args.model_histories, 100)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.h5"
        intrabeam_model.save(model, path)
        source = {"type": "intrabeam", "voltage": 50.0, "model": str(path), "tip": [0.0, 0.0, 8.0]}
        base = {"run": {"histories": args.histories, "batches": 10, "seed": 1},
                "phantom": {"type": "box", "material": "water", "size": [16.0, 16.0, 16.0]}}
        bare = mcdose.run({**base, "source": {**source, "applicator": "bare"},
                           "scoring": {"mesh": "spherical", "r": {"min": 0.2, "max": 4.0, "step": 0.1},
                                       "center": [0.0, 0.0, 8.0], "estimator": "tracklength"},
                           "scorers": [{"z": 8.5, "particles": ["photon"]}, {"z": 9.0, "particles": ["photon"]}]})
        r = 0.5 * (bare.grid.edges["r_edges"][1:] + bare.grid.edges["r_edges"][:-1])
        m = (r >= 0.5) & (r <= 3.5)
        n = -np.polyfit(np.log(r[m]), np.log(bare.dose[m]), 1)[0]
        print(f"bare probe in water: D ~ r^-n between 5 and 35 mm, n = {n:.2f} (published ~3)")
        ps = bare.phase_space
        for scorer, depth, published in ((0, 5, 18), (1, 10, 24)):
            k = (ps.column("scorer") == scorer) & (np.hypot(ps.column("x"), ps.column("y")) < 0.5) & (ps.column("w") > 0)
            e, w = ps.column("energy")[k], ps.column("weight")[k] / ps.column("w")[k]
            print(f"  behind {depth:>2} mm: HVL effective {1000 * effective_energy(aluminium_hvl(e, w)):.1f} keV, fluence mean "
                  f"{1000 * np.average(e, weights=w):.1f} keV (published {published} keV, broad-beam HVL)")
        sphere = mcdose.run({**base, "source": {**source, "applicator": 4.0},
                             "scoring": {"mesh": "spherical", "r": {"min": 2.0, "max": 4.5, "step": 0.1},
                                         "center": [0.0, 0.0, 8.0], "estimator": "tracklength"}})
        plan = treatment_plan(sphere, 20.0, "surface", 0.8)
        print(f"4-cm sphere in water: 20 Gy at the surface at 0.8 Gy/min: {plan.time_min:.2f} min (published 25)")
        for depth, dose, sigma in plan.doses:
            print(f"  {10 * depth:>4.0f} mm: {dose:6.2f} +- {sigma:.2f} Gy")
        cart = mcdose.run({**base, "source": {**source, "applicator": 4.0},
                           "scoring": {"x": [-2.3, -2.1, -0.1, 0.1, 2.1, 2.3], "y": [-0.1, 0.1],
                                       "z": [5.7, 5.9, 7.9, 8.1, 10.1, 10.3], "estimator": "tracklength"}})
        d = cart.dose[:, 0, :]
        forward, side = d[2, 4], 0.5 * (d[0, 2] + d[4, 2])
        print(f"  surface anisotropy (2 mm voxels just outside): sideways / forward = {side / forward:.3f}, "
              f"backward / forward = {d[2, 0] / forward:.3f}")


if __name__ == "__main__":
    main()
