"""The IOERT machine library in water: R50 of every machine and energy with the 10-cm flat applicator,
the soft-dock air gap against the inverse square law, and the shielding disks beside published
measurements. Depths in cm, dose per electron leaving the head.

* R50 etc.: central axis (r < 1 cm), 0.1 cm slabs (the figures the README's machine table documents).
* Soft dock (Mobetron-type, 9 MeV, 10 cm): the dose at dmax on the axis for air gaps 0-3 cm against
  (d0 / (d0 + gap))^2, d0 the distance from the exit window (minus the machine's
  virtual_source_distance) to dmax. Issue 15 asks for 2 % about the virtual source; this generic
  Mobetron-type beam is not broad, so its effective source (TG-25 effective SSD, fitted in
  tests/physics/test_ioert_physics.py) lies ~1.6 d0 from dmax and the window figures drift by 3-4 % at 3 cm.
* Shields: the Mobetron-type disk (PMMA 0.71 + Cu 0.25 cm) at 6/9/12 MeV (10-cm applicator) and the
  Al 0.2 + Pb 0.4 cm disk on the LIAC-type at 6-12 MeV, each with its upstream face at the depth of the
  beam's R90 (the clinical placement: the target above the disk within the 90 % isodose), doses over
  r < 3 cm: transmission (dose in the 0.2 cm of water behind the disk / Dmax without the disk) and upstream enhancement (dose in
  the 0.3 cm above the disk / the same without it). Published (mcdose issue 15, citing the vendors'
  disk measurements): Mobetron plate transmission 0.5 / 1.6 / 8.7 % at 6 / 9 / 12 MeV, backscatter
  increase < 0.5 %; Al+Pb: no transmitted electrons, Dmax raised 3-9 %. The measurement depth is not
  stated there, so the comparison is indicative only, for a generic head.

Run: python -m benchmarks.ioert_machines [--histories N] [--parts r50 soft shields]
"""
from __future__ import annotations

import argparse
import math

import numpy as np

import mcdose
from mcdose import machines
from mcdose.analysis import pdd_metrics

GAPS_CM = (0.0, 1.0, 2.0, 3.0)
SHIELD_R_CM = 3.0      # shields: doses averaged over r < 3 cm (inside the 8-cm disk and the 10-cm field)


def water_run(source: dict, histories: int, depth_cm: float, shields=(), r_max: float = 1.0, seed: int = 1) -> dict:
    """A 30 x 30 x 10 cm water box under ``source``; central-axis mesh r < r_max, 0.1 cm slabs to depth_cm."""
    config = {"run": {"histories": histories, "batches": 20, "seed": seed}, "source": source,
              "phantom": {"type": "box", "material": "water", "size": [30.0, 30.0, 10.0]},
              "scoring": {"mesh": "cylindrical", "r_edges": [0.0, r_max],
                          "z_edges": {"min": 0.0, "max": depth_cm, "step": 0.1}}}
    if shields:
        config["shields"] = list(shields)
    return config


def axis(result) -> tuple:
    """(slab centres cm, dose, 1-sigma) on the axis."""
    z = result.grid.edges["z_edges"]
    return 0.5 * (z[1:] + z[:-1]), result.dose[0], result.dose[0] * result.uncertainty[0]


def ioert(machine: str, energy: float, applicator: float = 10.0, **keys) -> dict:
    return {"type": "ioert", "machine": machine, "energy": energy, "applicator": applicator, **keys}


def r50_table(histories: int) -> None:
    print("R50 in water, 10-cm flat applicator, central axis (r < 1 cm):")
    print(f"{'machine':<10}{'E MeV':>6}{'dmax':>7}{'R90':>14}{'R50':>14}{'Rp':>14}{'Ds %':>7}")
    for name in machines.names():
        m = machines.load(name)
        for e in m.nominal_energies:
            r = mcdose.run(water_run(ioert(name, e), histories, min(10.0, 0.6 * e + 1.0)))
            p = pdd_metrics(*axis(r))
            print(f"{name:<10}{e:>6g}{p.dmax_cm.value:>7.2f}"
                  + "".join(f"{x.value:>8.2f} ± {x.sigma:.2f}" for x in (p.r90_cm, p.r50_cm, p.rp_cm))
                  + f"{100 * p.ds.value:>7.1f}")


def soft_dock(histories: int) -> None:
    m = machines.load("mobetron")
    beam = m.energy(9.0)
    print("Soft dock, mobetron 9 MeV 10 cm: dose at dmax against the inverse square of the distance from the "
          "virtual source")
    print(f"{'gap cm':>7}{'D/D(0)':>16}{'inverse square':>16}{'difference %':>16}")
    base = None
    for gap in GAPS_CM:
        r = mcdose.run(water_run(ioert("mobetron", 9.0, docking="soft", air_gap=gap), histories, 5.0))
        p = pdd_metrics(*axis(r))
        if base is None:
            base = p
            d0 = m.applicator_top + m.applicators.length + beam.virtual_source_distance + p.dmax_cm.value
        ratio = p.d_max.value / base.d_max.value
        sigma = ratio * math.hypot(p.d_max.sigma / p.d_max.value, base.d_max.sigma / base.d_max.value) if gap else 0.0
        expected = (d0 / (d0 + gap)) ** 2
        print(f"{gap:>7g}{ratio:>9.4f} ± {sigma:.4f}{expected:>16.4f}{100 * (ratio / expected - 1):>16.2f}")


def _disk_effect(machine, energy, disk, histories):
    """(disk depth cm, transmission, its sigma, upstream enhancement, its sigma) of a disk at the depth of
    R90 (rounded to the 0.1 cm slabs)."""
    layers = {"mobetron": 0.96, "al_pb": 0.6}[disk]
    free = mcdose.run(water_run(ioert(machine, energy), histories, 8.0, r_max=SHIELD_R_CM))
    z, d0, s0 = axis(free)
    free_metrics = pdd_metrics(z, d0, s0)
    depth = round(free_metrics.r90_cm.value, 1)
    shielded = mcdose.run(water_run(ioert(machine, energy), histories, 8.0, shields=[{"type": disk, "depth": depth}],
                                    r_max=SHIELD_R_CM))
    _, d1, s1 = axis(shielded)
    d_max = free_metrics.d_max
    behind = (z > depth + layers) & (z < depth + layers + 0.2)
    above = (z > depth - 0.3) & (z < depth)
    t = d1[behind].mean() / d_max.value
    t_sigma = math.sqrt(np.sum(s1[behind] ** 2)) / behind.sum() / d_max.value
    up = d1[above].mean() / d0[above].mean()
    up_sigma = up * math.hypot(math.sqrt(np.sum(s1[above] ** 2)) / d1[above].sum(),
                               math.sqrt(np.sum(s0[above] ** 2)) / d0[above].sum())
    return depth, t, t_sigma, up - 1.0, up_sigma


def shields(histories: int) -> None:
    print("Shielding disks at the depth of R90 in water, 10-cm flat applicator:")
    print(f"{'disk':<10}{'machine':<10}{'E MeV':>6}{'depth cm':>9}{'transmission %':>20}{'published':>11}"
          f"{'upstream %':>18}{'published':>12}")
    for machine, disk, published in (("mobetron", "mobetron", {6.0: "0.5", 9.0: "1.6", 12.0: "8.7"}),
                                     ("liac12", "al_pb", None)):
        for e in machines.load(machine).nominal_energies:
            depth, t, ts, up, us = _disk_effect(machine, e, disk, histories)
            ref_t = published[e] if published else "0"
            ref_up = "< 0.5" if published else "3 to 9"
            print(f"{disk:<10}{machine:<10}{e:>6g}{depth:>9.1f}{100 * t:>12.2f} ± {100 * ts:.2f}{ref_t:>11}"
                  f"{100 * up:>10.2f} ± {100 * us:.2f}{ref_up:>12}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ioert_machines", description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, default=100_000, help="histories per run (default 1e5)")
    parser.add_argument("--parts", nargs="+", choices=("r50", "soft", "shields"), default=["r50", "soft", "shields"])
    args = parser.parse_args(argv)
    for part in args.parts:
        {"r50": r50_table, "soft": soft_dock, "shields": shields}[part](args.histories)
        print()


if __name__ == "__main__":
    main()
