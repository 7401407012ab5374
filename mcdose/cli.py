"""The ``mcdose`` command line.

Every error a user can cause prints one line ``mcdose: error: ...`` and exits
with status 2; ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import InputError

DESCRIPTION = """\
mcdose - Monte Carlo dose for intra-operative radiotherapy (IOERT electron
beams, INTRABEAM 50 kV x-rays). Units: cm, g/cm3, MeV, Gy.

typical use:
  mcdose run examples/intrabeam_50kV_point.toml -o dose.h5   run a job, write the dose file
  mcdose check examples/water_9MeV.toml      validate a configuration, print it resolved
  mcdose materials                           list the material library
  mcdose materials water --table             ESTAR/XCOM-style data table of one material
  mcdose info result.h5                      what a result file holds
"""


def _cmd_check(args) -> int:
    from .config import load_config
    spec = load_config(args.config)
    print(f"# {args.config}: valid. Resolved configuration (defaults filled in):")
    print(spec.text, end="")
    return 0


def _cmd_run(args) -> int:
    from pathlib import Path

    from .api import run
    out = Path(args.output)
    result = run(args.config, output=out, force=args.force, progress=not args.quiet,
                 histories=args.histories, seed=args.seed, threads=args.threads, batches=args.batches)
    md = result.metadata
    dmax, umax, idx = result.max_dose()
    print(f"wrote {out}: {md['histories']:,} histories in {md['batches']} batches, "
          f"{md['elapsed_seconds']:.1f} s ({md['histories'] / max(md['elapsed_seconds'], 1e-9):,.0f} /s)")
    print(f"dose max {dmax:.5g} Gy/particle +- {100 * umax:.2f} % (1 sigma) at bin {idx}")
    print(f"charged secondaries: {md['electron_transport']}")
    if md["lost_particles"]:
        print(f"warning: {md['lost_particles']} particle(s) lost by the navigation (see the file)")
    return 0


def _cmd_plot(args) -> int:
    from .config import load_config
    from .plotting import plot_geometry
    spec = load_config(args.input)
    out = plot_geometry(spec, args.output)
    print(f"wrote {out or args.output}")
    return 0


def _cmd_pdd(args) -> int:
    import numpy as np

    from .results import load
    curve = load(args.file).pdd(radius=args.radius)
    label = "depth_cm" if curve.axis == "z" else "radius_cm"
    rows = np.column_stack([curve.position_cm, curve.dose, curve.sigma])
    if args.csv:
        np.savetxt(args.csv, rows, delimiter=",", fmt="%.6e",
                   header=f"{label},dose_Gy_per_particle,sigma_Gy_per_particle", comments="")
        print(f"wrote {args.csv}")
    peak = curve.dose.max()
    print(f"{label:>10}  {'dose Gy/particle':>16}  {'1 sigma %':>9}  {'% of max':>8}")
    for x, d, s in rows:
        print(f"{x:>10.3f}  {d:>16.5e}  {100 * s / d if d > 0 else 0:>9.2f}  {100 * d / peak if peak > 0 else 0:>8.2f}")
    if curve.axis == "z":
        try:
            m = curve.metrics()
        except InputError as exc:
            print(f"metrics: not available for this curve ({exc})")
            return 0
        for name, est in (("dmax cm", m.dmax_cm), ("R90 cm", m.r90_cm), ("R80 cm", m.r80_cm), ("R50 cm", m.r50_cm),
                          ("Rp cm", m.rp_cm), ("Ds (0.5 mm)", m.ds), ("Dx (photon tail)", m.dx)):
            print(f"{name:<17}{est.value:.4f} +- {est.sigma:.4f}")
    return 0


def _cmd_info(args) -> int:
    from .results import load
    res = load(args.file)
    md = res.metadata
    dmax, umax, idx = res.max_dose()
    rows = [("file", args.file), ("written by", f"mcdose {md.get('mcdose_version', '?')}"),
            ("grid", res.grid.describe()), ("materials", ", ".join(res.materials) or "-")]
    rows += [(key.replace("_", " "), md[key]) for key in ("histories", "batches", "seed", "lost_particles")
             if key in md]
    if "elapsed_seconds" in md:
        rows.append(("elapsed", f"{md['elapsed_seconds']:.1f} s"))
    if "electron_transport" in md:
        rows.append(("secondaries", f"charged secondaries {md['electron_transport']}"))
    energy = {k[7:-17]: v for k, v in md.items() if k.startswith("energy_") and k.endswith("_MeV_per_particle")}
    if energy:
        rows.append(("energy balance", ", ".join(f"{k} {v:.6g}" for k, v in energy.items()) + " MeV/particle"))
    physics = {k: v for k, v in md.items() if k.startswith("physics_")}
    if physics:
        rows.append(("physics", ", ".join(f"{k[8:]}={v}" for k, v in sorted(physics.items()))))
    rows.append(("dose max", f"{dmax:.6g} Gy/particle +- {100 * umax:.2f} % (1 sigma) at bin {idx}"))
    for key, value in rows:
        print(f"{key + ':':<16}{value}")
    return 0


def _cmd_materials(args) -> int:
    from . import materials
    if args.name is None:
        if args.table or args.csv:
            raise InputError("materials: --table and --csv need a material NAME")
        print(f"{'id':<20}{'density g/cm3':>14}{'I eV':>8}  description")
        for name in materials.names():
            m = materials.get(name)
            print(f"{m.name:<20}{m.density:>14.6g}{m.I_eV:>8.1f}  {m.description}")
        return 0
    m = materials.get(args.name)
    if not (args.table or args.csv):
        print(f"{m.name}: {m.description}")
        print(f"  density      {m.density:g} g/cm3")
        print(f"  I            {m.I_eV:g} eV")
        print(f"  <Z/A>        {m.z_over_a:.5f} mol/g")
        print(f"  composition  {m.composition_text()} (mass fractions)")
        if m.aliases:
            print(f"  aliases      {', '.join(m.aliases)}")
        print(f"  source       {m.source}")
        return 0
    from .physics.report import material_table
    table = material_table(m)
    if args.csv:
        table.write_csv(args.csv)
        print(f"wrote {args.csv}")
    if args.table:
        print(table.text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mcdose", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mcdose {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="validate a configuration and print it with defaults filled in")
    c.add_argument("config", help="configuration file (TOML)")
    c.set_defaults(func=_cmd_check)

    r = sub.add_parser("run", help="run a configuration and write the dose to an HDF5 file")
    r.add_argument("config", help="configuration file (TOML)")
    r.add_argument("-o", "--output", required=True, help="result file to write (.h5)")
    r.add_argument("--histories", type=int, help="override run.histories")
    r.add_argument("--batches", type=int, help="override run.batches")
    r.add_argument("--seed", type=int, help="override run.seed")
    r.add_argument("--threads", type=int, help="override run.threads (0 = all cores)")
    r.add_argument("--force", action="store_true", help="overwrite an existing output file")
    r.add_argument("--quiet", action="store_true", help="no progress display")
    r.set_defaults(func=_cmd_run)

    g = sub.add_parser("plot", help="pictures: --kind geometry draws slices of a configuration's geometry")
    g.add_argument("input", help="configuration file (TOML)")
    g.add_argument("--kind", choices=["geometry"], required=True,
                   help="geometry: orthogonal slices coloured by material, with the scoring mesh outline")
    g.add_argument("-o", "--output", required=True, help="image file to write (.png, .pdf, .svg)")
    g.set_defaults(func=_cmd_plot)

    d = sub.add_parser("pdd", help="central-axis depth dose (or radial dose) of a result, with beam metrics")
    d.add_argument("file", help="result file (.h5)")
    d.add_argument("--radius", type=float, default=1.0, help="average over bins within this radius of the axis, cm")
    d.add_argument("--csv", metavar="FILE", help="also write the curve to a CSV file")
    d.set_defaults(func=_cmd_pdd)

    i = sub.add_parser("info", help="print what a result file (HDF5) holds")
    i.add_argument("file", help="result file (.h5)")
    i.set_defaults(func=_cmd_info)

    m = sub.add_parser("materials", help="the material library and its physics data")
    m.add_argument("name", nargs="?", help="material id or alias; omit to list all")
    m.add_argument("--table", action="store_true",
                   help="print stopping powers, CSDA range and attenuation coefficients (ESTAR/XCOM style)")
    m.add_argument("--csv", metavar="FILE", help="write the data table to a CSV file")
    m.set_defaults(func=_cmd_materials)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except InputError as exc:
        if args.debug:
            raise
        print(f"mcdose: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mcdose: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
