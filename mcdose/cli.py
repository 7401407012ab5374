"""The ``mcdose`` command line.

Every error a user can cause prints one line ``mcdose: error: ...`` and exits
with status 2; ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import math
import signal
import sys

from . import __version__
from .errors import InputError
from .schema import Field

DESCRIPTION = """\
mcdose - Monte Carlo dose for intra-operative radiotherapy (IOERT electron
beams, INTRABEAM 50 kV x-rays). Units: cm, g/cm3, MeV, Gy.

typical use:
  mcdose run examples/intrabeam_50kV_point.toml -o dose.h5   run a job, write the dose file
  mcdose check examples/water_9MeV.toml      validate a configuration, print it resolved
  mcdose materials                           list the material library
  mcdose materials water --table             ESTAR/XCOM-style data table of one material
  mcdose machines liac12                     a generic IOERT machine model (list all: mcdose machines)
  mcdose commission liac12 --energy 10 pdd.mcc@applicator=10 -o my_liac.toml --html fit.html
                                             fit the beam to measured curves (commissioning)
  mcdose phsp info exit.IAEAheader           an IAEA phase-space file: counts, spectra (plot: figures)
  mcdose run job.toml -o dose.h5 --cluster local:2 --uncertainty 1%   on Dask workers, to a goal
  mcdose run-batch job.toml --batches 0-9 -o part_0.h5   some batches (Slurm array, GNU parallel)
  mcdose merge part_*.h5 -o dose.h5         merge part files (any order; gaps are named)
  mcdose export dose.h5 --format rtdose --particles 1e14 -o dose.dcm   DICOM RT Dose (also 3ddose)
  mcdose info result.h5                      what a result file holds
  mcdose plot result.h5 --kind isodose -o iso.png   dose map with isodoses (also pdd, profile, uncertainty)
  mcdose compare result.h5 measured.mcc --html report.html   commissioning check
  mcdose intrabeam-model --voltage 50 -o model.h5   INTRABEAM source model from first principles
  mcdose treatment-time dose.h5 --prescription 20 --at surface --dose-rate 0.8 --applicator-radius 2
                                             INTRABEAM / TARGIT treatment time (depths in mm)
  mcdose bench --quick --html bench.html     every reference case: one PASS/FAIL table, curves
"""

MESSAGE_LIMIT = 400     # characters of an error line
_MM_TOLERANCES = ("dmax_tol", "r90_tol", "r80_tol", "r50_tol", "rp_tol", "centre_tol", "field_size_tol",
                  "penumbra_tol")
#: Allowed values of the numeric options, by dest (the same meaning in every command).
_NUMBERS = {"radius": Field("float", unit="cm", gt=0), "depth": Field("float", unit="cm"),
            "offset": Field("float", unit="cm"), "position": Field("float", unit="cm"),
            "prescription": Field("float", unit="Gy", gt=0),
            "prescription_isodose": Field("float", unit="%", gt=0, le=100),
            "pass_rate": Field("float", unit="%", gt=0, le=100), "threshold": Field("float", unit="%", ge=0, le=100),
            "ds_tol": Field("float", unit="%", gt=0), "flatness_tol": Field("float", unit="%", gt=0),
            "symmetry_max": Field("float", unit="%", ge=100, le=200),
            **dict.fromkeys(_MM_TOLERANCES, Field("float", unit="mm", gt=0)),
            "energy": Field("float", unit="MeV", gt=0, le=50), "voltage": Field("float", unit="kV", ge=20, le=50),
            "dose_rate": Field("float", unit="Gy/min", gt=0, le=100),
            "applicator_radius": Field("float", unit="cm", ge=0, le=50)}


def _one_line(message: str) -> str:
    """An error message as one line of at most MESSAGE_LIMIT characters (control characters escaped,
    the middle of a longer one replaced by ' ... ')."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    if len(text) > MESSAGE_LIMIT:
        keep = (MESSAGE_LIMIT - 5) // 2
        text = f"{text[:keep]} ... {text[-keep:]}"
    return text


class _Parser(argparse.ArgumentParser):
    """argparse with mcdose's errors: one line ``mcdose: error: --option: ...``, exit status 2."""

    def error(self, message):
        self.exit(2, f"mcdose: error: {_one_line(message.removeprefix('argument '))}\n")


def _check_numbers(args) -> None:
    """Refuse NaN, infinite and out-of-range values of the numeric options (see _NUMBERS)."""
    for dest, field in _NUMBERS.items():
        value = getattr(args, dest, None)
        if value is not None:
            field.check(f"--{dest.replace('_', '-')}", value)


def _number_list(zero_allowed: bool, example: str):
    """argparse type: comma-separated finite numbers > 0 (>= 0 if ``zero_allowed``)."""
    def parse(text: str) -> list:
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            values = []
        if not values or not all(math.isfinite(v) and (v > 0 or zero_allowed and v == 0) for v in values):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: comma-separated numbers "
                                             f"{'>= 0' if zero_allowed else '> 0'}, e.g. {example}")
        return values
    return parse


def _surface_or_mm(text: str):
    """argparse type of --at/--reference: "surface", or a depth from the applicator surface in mm (returned in cm)."""
    if text.strip().lower() == "surface":
        return "surface"
    try:
        mm = float(text)
    except ValueError:
        mm = math.nan
    if not (math.isfinite(mm) and 0 <= mm <= 1000):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not allowed: 'surface' or a depth from the applicator "
                                         "surface in mm, >= 0 and <= 1000")
    return mm / 10.0


def _cmd_output_factors(args) -> int:
    from pathlib import Path

    from . import machines
    from . import output_factors as of
    from .outputs import atomic_write, check_output
    csv = None if args.output is None else check_output(Path(args.output), force=args.force)
    folder = None
    if args.runs is not None:
        folder = Path(args.runs)
        if not folder.is_dir() or folder.is_symlink():
            raise InputError(f"--runs: {str(folder)!r} is not allowed: must be an existing folder (not a link)")
    applicators = args.applicators or list(machines.load(args.machine).applicators.diameters)
    results = of.run_all(args.machine, args.energy, applicators, args.bevels, args.histories, folder, args.threads)
    rows = of.table(results)
    print(of.format_table(rows, args.machine, args.energy))
    if csv is not None:
        text = "\n".join([of.CSV_HEADER] + [r.csv() for r in rows]) + "\n"
        atomic_write(csv, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        print(f"wrote {csv}")
    return 0


def _kernel_folder(args, output, least_histories: int):
    """The commissioning commands' kernel folder (--kernels, default OUTPUT_kernels beside the output),
    created; --kernel-histories and --histories checked against ``least_histories``, --refine-histories (where
    given) against --kernel-histories."""
    from pathlib import Path
    for name, value in (("--kernel-histories", args.kernel_histories), ("--histories", args.histories)):
        if value < least_histories:
            raise InputError(f"{name}: {value} is not allowed: must be >= {least_histories}")
    refine = getattr(args, "refine_histories", None)
    if refine is not None and refine <= args.kernel_histories:
        raise InputError(f"--refine-histories: {refine} is not allowed: must be > --kernel-histories "
                         f"({args.kernel_histories})")
    folder = Path(args.kernels) if args.kernels else output.with_name(output.stem + "_kernels")
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(f"--kernels: {str(folder)!r} is not allowed: must be a folder (not a link)")
    folder.mkdir(exist_ok=True)
    return folder


def _cmd_commission(args) -> int:
    from pathlib import Path

    from . import machines
    from .commission import commission, summary
    from .outputs import atomic_write, check_output
    machine = machines.load(args.machine)
    inputs = [("the machine file", machine.path)] + [("a measured file", m.rpartition("@")[0] or m)
                                                    for m in args.measured]
    output = check_output(Path(args.output), args.force, inputs, suffixes=(".toml",))
    report = None if args.html is None else check_output(Path(args.html), args.force, inputs, suffixes=(".html",))
    folder = _kernel_folder(args, output, 100)
    c = commission(args.machine, args.energy, args.measured, folder, args.kernel_histories, args.histories,
                   args.seed, args.threads, args.unit, args.depth, refine_histories=args.refine_histories)
    atomic_write(output, lambda tmp: Path(tmp).write_text(c.machine_text, encoding="utf-8"))
    print(summary(c))
    print(f"wrote {output} (use it as machine = {str(output)!r}); kernels and runs in {folder}")
    if report is not None:
        from .commission.report import html_report
        text = html_report(c)
        atomic_write(report, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        print(f"wrote {report}")
    return 0 if all(comp.passed for comp in c.comparisons.values()) else 1


def _cmd_commission_intrabeam(args) -> int:
    from pathlib import Path

    from .analysis import read_measured
    from .commission import intrabeam
    from .outputs import atomic_write, check_output
    from .sources import intrabeam_model
    inputs = [("the measured file", args.measured)] + ([("the source model", args.model)] if args.model else [])
    output = check_output(Path(args.output), args.force, inputs, suffixes=(".h5",))
    folder = _kernel_folder(args, output, 1000)
    curves = read_measured(args.measured, args.unit)
    if len(curves) != 1:
        raise InputError(f"{args.measured}: holds {len(curves)} curves; INTRABEAM commissioning takes one depth dose")
    c = intrabeam.commission(args.voltage, curves[0], folder, args.model, args.kernel_histories, args.histories,
                             args.seed, args.threads)
    atomic_write(output, lambda tmp: intrabeam_model.save(c.fitted, tmp))
    print(intrabeam.summary(c))
    print(f"wrote {output} (use it as model = {str(output)!r}); kernels and runs in {folder}")
    return 0 if c.comparison.passed else 1


def _cmd_check(args) -> int:
    from .config import load_config, preflight
    spec = load_config(args.config)
    preflight(spec)
    print(f"# {args.config}: valid. Resolved configuration (defaults filled in):")
    print(spec.text, end="")
    return 0


def _cmd_run(args) -> int:
    from pathlib import Path

    from .api import run
    from .goal import UncertaintyGoal
    out = Path(args.output)
    if args.at is not None and args.uncertainty is None:
        raise InputError("--at applies with --uncertainty (where the goal is tested)")
    if args.scheduler is not None and args.cluster is not None:
        raise InputError("--scheduler and --cluster: give one (a running scheduler, or a cluster to start)")
    goal = None if args.uncertainty is None else UncertaintyGoal.parse(args.uncertainty, args.at)
    result = run(args.config, output=out, force=args.force, resume=args.resume, progress=not args.quiet,
                 uncertainty=goal, scheduler=args.scheduler, cluster=args.cluster,
                 histories=args.histories, seed=args.seed, threads=args.threads, batches=args.batches)
    md = result.metadata
    dmax, umax, idx = result.max_dose()
    print(f"wrote {out}: {md['histories']:,} histories in {md['batches']} batches, "
          f"{md['elapsed_seconds']:.1f} s ({md['histories'] / max(md['elapsed_seconds'], 1e-9):,.0f} /s)")
    print(f"highest bin {dmax:.5g} Gy/particle +- {100 * umax:.2f} % (1 sigma) at bin {idx}")
    print(_reference_line(result))
    print(f"charged secondaries: {md['electron_transport']}")
    if md["lost_particles"]:
        print(f"warning: {md['lost_particles']} particle(s) lost by the navigation (see the file)")
    if "uncertainty_goal" in md:
        met = "met" if md["uncertainty_goal_met"] else "NOT met (the histories ran out: raise --histories)"
        print(f"uncertainty goal {100 * md['uncertainty_goal']:g} % at {md['uncertainty_goal_at']}: {met}, "
              f"{100 * md['uncertainty_reached']:.3g} % after {md['batches']} of {md['batches_requested']} batches")
    if "stopped_by" in md:      # interrupted: the finished batches are written, the run is not complete
        print(f"incomplete: {md['batches']} of {md['batches_requested']} batches (stopped by {md['stopped_by']}); "
              f"continue with: mcdose run {args.config} -o {out} --resume", file=sys.stderr)
        return 128 + signal.Signals[md["stopped_by"]].value
    return 0


def _reference_line(result) -> str:
    """The one normalisation (D_ref) of a result in words, or why there is none."""
    from .analysis.normalisation import reference_dose
    try:
        return reference_dose(result).describe()
    except InputError as exc:
        return f"no D_ref ({exc})"


_PLOT_OPTIONS = {"radius": ("pdd",), "axis": ("profile",), "depth": ("profile",), "offset": ("profile",),
                 "plane": ("isodose", "uncertainty"), "position": ("isodose", "uncertainty"), "levels": ("isodose",),
                 "prescription": ("isodose",), "prescription_isodose": ("isodose",), "config": ("isodose",)}


def _cmd_plot(args) -> int:
    from pathlib import Path
    is_config = Path(args.input).suffix.lower() == ".toml"
    if args.kind == "geometry" and not is_config:
        raise InputError(f"plot --kind geometry needs a configuration file (.toml), got {args.input!r}")
    if args.kind != "geometry" and is_config:
        raise InputError(f"plot --kind {args.kind} needs a result file (.h5), got the configuration {args.input!r}")
    for name, kinds in _PLOT_OPTIONS.items():
        if getattr(args, name) is not None and args.kind not in kinds:
            raise InputError(f"plot: --{name.replace('_', '-')} applies to --kind {' or '.join(kinds)}, "
                             f"not {args.kind}")
    from .outputs import check_output, config_inputs
    from .plotting_dose import image_suffixes
    inputs = config_inputs(args.input) if is_config else [("the result file", args.input)]
    inputs += config_inputs(args.config) if args.config else []
    check_output(Path(args.output), force=True, inputs=inputs, suffixes=image_suffixes())
    if args.kind == "geometry":
        from .config import load_config
        from .plotting import plot_geometry
        out = plot_geometry(load_config(args.input), args.output)
    else:
        from .plotting_dose import save_figure
        from .results import load
        out = save_figure(_result_figure(load(args.input), args), args.output)
    print(f"wrote {out}")
    return 0


def _result_figure(res, args):
    """The figure of ``plot --kind pdd|profile|isodose|uncertainty`` of a result, titled with what was
    simulated and in % of the one normalisation D_ref."""
    from . import plotting_dose as pdz
    from .analysis import dose_plane
    from .analysis.normalisation import curve_reference_dose, reference_dose
    from .analysis.run_info import run_title
    title = run_title(res)
    radius = 1.0 if args.radius is None else args.radius
    if args.kind == "profile":
        if args.depth is None:
            raise InputError("plot --kind profile needs --depth (cm)")
        return pdz.profile_figure(res.profile(args.axis or "x", args.depth, args.offset or 0.0), title=title)
    if args.kind == "pdd":
        curve = res.pdd(radius)
        norm = curve_reference_dose(curve)
        if curve.axis == "r":
            surfaces = [(i.depth_cm, f"{i.above} | {i.below}") for i in curve.interfaces or ()]
            return pdz.radial_figure(curve, norm, surfaces, title=title)
        return pdz.pdd_figure(curve, title=title, normalisation=norm)
    from .plotting_map import dose_map_figure, uncertainty_map_figure
    plane = dose_plane(res, args.plane or "y", args.position or 0.0)
    if args.kind == "uncertainty":
        return uncertainty_map_figure(plane, title=title)
    prescription = None
    levels = args.levels or [100, 90, 80, 50, 20, 10]
    if args.prescription is not None:
        prescription = (args.prescription, args.prescription_isodose or 100.0)
        pct_per_gy = prescription[1] / prescription[0]
        levels = ([v * pct_per_gy for v in args.levels] if args.levels
                  else [prescription[1] * f for f in (1.1, 1.0, 0.9, 0.5, 0.2)])
    spec, geometry = _result_spec(res, args), None
    if spec is not None:
        from .phantoms import from_spec
        try:
            geometry = from_spec(spec)
        except (InputError, ValueError, OSError) as exc:
            print(f"note: geometry not drawn ({exc})", file=sys.stderr)
    return dose_map_figure(plane, reference_dose(res), levels, geometry, source=None if spec is None else spec.source,
                           title=title, prescription=prescription)


def _result_spec(res, args):
    """The configuration whose geometry and source are drawn under a dose map: --config, else the one stored in
    the result; None (with a note) when there is none or it cannot be read."""
    from .analysis.run_info import result_spec
    from .config import load_config
    if args.config:
        return load_config(args.config)
    try:
        return result_spec(res)
    except (InputError, ValueError, OSError) as exc:
        print(f"note: geometry not drawn ({exc}); give --config CONFIG.toml", file=sys.stderr)
    return None


def _cmd_compare(args) -> int:
    from pathlib import Path

    from .analysis import Tolerances, compare, parse_criteria, read_measured
    from .analysis.compare import table
    from .outputs import atomic_write, check_output
    from .results import load
    pct, dta_cm = parse_criteria(args.gamma)
    tol = Tolerances(gamma_dose_pct=pct, gamma_dta_mm=10 * dta_cm, gamma_pass_pct=args.pass_rate,
                     gamma_threshold_pct=args.threshold, gamma_local=args.local, ds_pct=args.ds_tol,
                     flatness_pct=args.flatness_tol, symmetry_pct=args.symmetry_max,
                     **{name.replace("_tol", "_mm"): getattr(args, name) for name in _MM_TOLERANCES})
    inputs = [("the result file", args.result)] + [("a measured file", path) for path in args.measured]
    html = None if args.html is None else check_output(Path(args.html), args.force, inputs)
    res = load(args.result)
    curves = [c for path in args.measured for c in read_measured(path, args.unit, args.depth)]
    comparison = compare(res, curves, tol, pdd_radius=args.radius)
    print(table(comparison))
    if html is not None:
        from .analysis.report_html import html_report
        text = html_report(comparison, res, Path(args.result).name)
        atomic_write(html, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        print(f"wrote {html}")
    return 0 if comparison.passed else 1


def _cmd_pdd(args) -> int:
    from pathlib import Path

    import numpy as np

    from .analysis.normalisation import curve_reference_dose
    from .outputs import atomic_write, check_output
    from .results import load
    csv = None if args.csv is None else check_output(Path(args.csv), force=True,
                                                     inputs=[("the result file", args.file)])
    result = load(args.file)
    curve = result.pdd(radius=args.radius)
    norm = curve_reference_dose(curve)
    label = "depth_cm" if curve.axis == "z" else "radius_cm"
    rows = np.column_stack([curve.position_cm, curve.dose, curve.sigma, norm.percent(curve.dose),
                            norm.percent(curve.sigma)])
    if csv is not None:
        header = (f"# {norm.describe()}\n"
                  f"{label},dose_Gy_per_particle,sigma_Gy_per_particle,dose_pct_of_D_ref,sigma_pct_of_D_ref")
        atomic_write(csv, lambda tmp: np.savetxt(tmp, rows, delimiter=",", fmt="%.6e", comments="", header=header))
        print(f"wrote {csv}")
    print(norm.describe())
    print(f"{label:>10}  {'dose Gy/particle':>16}  {'1 sigma %':>9}  {'% of D_ref':>10}")
    for x, d, s, pct, _ in rows:
        print(f"{x:>10.3f}  {d:>16.5e}  {100 * s / d if d > 0 else 0:>9.2f}  {pct:>10.2f}")
    try:
        m = curve.metrics()
    except InputError as exc:
        print(f"beam metrics withheld: {exc}")
        return 0
    print(f"beam metrics (1 sigma: {m.uncertainty_method}):")
    for name, est in (("dmax cm", m.dmax_cm), ("R90 cm", m.r90_cm), ("R80 cm", m.r80_cm), ("R50 cm", m.r50_cm),
                      ("Rp cm", m.rp_cm)):
        print(f"  {name:<20}{est.value:.3f} +- {est.sigma:.3f}")
    for name, est in (("Ds (0.5 mm) %", m.ds), ("Dx (photon tail) %", m.dx)):
        print(f"  {name:<20}{100 * est.value:.2f} +- {100 * est.sigma:.2f}")
    for warning in m.warnings:
        print(f"  warning: {warning}")
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
    if "uncertainty_goal" in md:
        rows.append(("goal", f"relative 1-sigma {100 * md['uncertainty_goal']:g} % at {md['uncertainty_goal_at']}: "
                             f"{'met' if md['uncertainty_goal_met'] else 'not met'} "
                             f"({100 * md['uncertainty_reached']:.3g} %)"))
    elif md.get("batches_requested", md.get("batches")) != md.get("batches"):
        advice = ("run the missing batches with mcdose run-batch and merge again"
                  if md.get("stopped_by", "").startswith("merge:") else "continue with mcdose run CONFIG -o OUT --resume")
        rows.append(("status", f"incomplete: {md['batches']} of {md['batches_requested']} batches"
                                   f"{' (stopped by ' + md['stopped_by'] + ')' if 'stopped_by' in md else ''}; "
                                   f"{advice}"))
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
    if "phase_space_records" in md:
        rows.append(("phase space", f"{md['phase_space_records']} records ({md.get('phase_space_dropped', 0)} dropped)"))
    rows.append(("highest bin", f"{dmax:.6g} Gy/particle +- {100 * umax:.2f} % (1 sigma) at bin {idx}"))
    rows.append(("normalisation", _reference_line(res)))
    for key, value in rows:
        print(f"{key + ':':<16}{value}")
    if res.regions is not None:
        r = res.regions
        print(f"{'region':<20}{'mass g':>12}{'MeV/particle':>14}{'Gy/particle':>14}{'1 sigma':>9}")
        for i, name in enumerate(r.name):
            dose = f"{r.dose[i]:>14.6g}" if r.mass[i] > 0 else f"{'-':>14}"
            print(f"{name:<20}{r.mass[i]:>12.6g}{r.energy[i]:>14.6g}{dose}{100 * r.uncertainty[i]:>8.2f}%")
    return 0


def _cmd_materials(args) -> int:
    from pathlib import Path

    from . import materials
    from .outputs import atomic_write, check_output
    if args.name is None:
        if args.table or args.csv:
            raise InputError("materials: --table and --csv need a material NAME")
        print(f"{'id':<20}{'density g/cm3':>14}{'I eV':>8}  description")
        for name in materials.names():
            m = materials.get(name)
            print(f"{m.name:<20}{m.density:>14.6g}{m.I_eV:>8.1f}  {m.description}")
        return 0
    m = materials.get(args.name)
    csv = None if args.csv is None else check_output(Path(args.csv), force=True)
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
    if csv is not None:
        atomic_write(csv, table.write_csv)
        print(f"wrote {csv}")
    if args.table:
        print(table.text())
    return 0


def _cmd_machines(args) -> int:
    from . import machines
    if args.name is None:
        print(f"{'name':<12}title")
        for name in machines.names():
            print(f"{name:<12}{machines.load(name).title}")
        return 0
    print(machines.describe(machines.load(args.name)), end="")
    return 0


def _cmd_phsp(args) -> int:
    from pathlib import Path

    from .phsp import paths
    from .phsp.report import info_text, plot
    header, data = paths(args.file)
    if args.action == "info":
        print(info_text(header), end="")
        return 0
    from .outputs import check_output
    from .plotting_dose import image_suffixes
    out = Path(args.output) if args.output else header.with_name(f"{header.stem}_phsp.png")
    check_output(out, force=True, inputs=[("the phase-space header", header), ("the phase-space data", data)],
                 suffixes=image_suffixes())
    print(f"wrote {plot(header, out)}")
    return 0


def _cmd_treatment_time(args) -> int:
    from .results import load
    from .treatment import treatment_plan
    names = {"prescription_gy": "--prescription", "at": "--at", "dose_rate_gy_min": "--dose-rate",
             "reference": "--reference", "applicator_radius_cm": "--applicator-radius"}
    plan = treatment_plan(load(args.file), args.prescription, args.at, args.dose_rate, args.reference,
                          args.applicator_radius, names=names)
    print(plan.text(), end="")
    return 0


def _cmd_intrabeam_model(args) -> int:
    from pathlib import Path

    from .config import read_angular_file, read_spectrum_file
    from .outputs import check_output
    from .sources import intrabeam_model
    inputs = [(f"--{k}", getattr(args, k)) for k in ("spectrum", "angular") if getattr(args, k)]
    out = check_output(Path(args.output), args.force, inputs=inputs, suffixes=(".h5", ".hdf5"))
    if args.spectrum:
        if args.histories is not None or args.splitting is not None:
            raise InputError("intrabeam-model: --histories and --splitting build from first principles; not with "
                             "--spectrum")
        angular = read_angular_file(Path(args.angular)) if args.angular else None
        model = intrabeam_model.from_spectrum(read_spectrum_file(Path(args.spectrum)), angular,
                                              description=f"from {args.spectrum}")
    else:
        if args.angular:
            raise InputError("intrabeam-model: --angular goes with --spectrum")
        model = intrabeam_model.build(args.voltage, args.histories or intrabeam_model.DEFAULT_HISTORIES,
                                      args.splitting or intrabeam_model.DEFAULT_SPLITTING, threads=args.threads,
                                      progress=True)
    intrabeam_model.save(model, out)
    print(f"wrote {out}: {model.photons_per_electron:.4g} photons per electron, mean energy "
          f"{1000 * model.mean_energy():.2f} keV ({model.attrs.get('method')})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mcdose", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mcdose {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    r.add_argument("--force", action="store_true", help="overwrite an existing output file (and discard the batches "
                                                        "an interrupted run left in OUT.h5.partials)")
    r.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint "
                                                         "OUT.h5.partials (each batch file is verified first)")
    r.add_argument("--quiet", action="store_true", help="no progress display")
    r.add_argument("--uncertainty", metavar="GOAL", help="stop at the first batches whose relative 1-sigma reaches "
                                                        "GOAL (e.g. 1%%) at the dose maximum or --at; the "
                                                        "histories and batches are the budget")
    r.add_argument("--at", metavar="X,Y,Z|REGION", help="where --uncertainty is tested: a point (cm) or a region "
                                                         "(phantom, a part's name, world) [the dose maximum]")
    r.add_argument("--scheduler", metavar="ADDRESS", help="run the batches on a running Dask scheduler, e.g. "
                                                          "tcp://host:8786 (workers need mcdose installed)")
    r.add_argument("--cluster", metavar="SPEC", help="start a Dask cluster for the run: local:N (N worker "
                                                     "processes on this machine) or ssh:host1,host2")
    r.set_defaults(func=_cmd_run)

    from .batch_files import cli_merge, cli_run_batch
    rb = sub.add_parser("run-batch", help="run some batches of a configuration into one part file (merge them with "
                                          "mcdose merge)")
    rb.add_argument("config", help="configuration file (TOML)")
    rb.add_argument("--batches", required=True, help="batch indices: i, i-j or a list like 0,3,5-9 (0-based)")
    rb.add_argument("-o", "--output", required=True, help="part file to write (.h5)")
    rb.add_argument("--threads", type=int, help="override run.threads (0 = all cores)")
    rb.add_argument("--force", action="store_true", help="overwrite an existing part file")
    rb.add_argument("--quiet", action="store_true", help="no progress display")
    rb.set_defaults(func=cli_run_batch)
    mg = sub.add_parser("merge", help="merge the part files of one run (any order) into a result file")
    mg.add_argument("parts", nargs="+", help="part files written by mcdose run-batch")
    mg.add_argument("-o", "--output", required=True, help="result file to write (.h5)")
    mg.add_argument("--force", action="store_true", help="overwrite an existing output")
    mg.add_argument("--allow-missing", action="store_true", help="write a result of the batches found (marked "
                                                                "incomplete) instead of refusing the gaps")
    mg.set_defaults(func=cli_merge)

    from .export import FORMATS, cli_export, parse_grid
    ex = sub.add_parser("export", help="write a result as a DICOM RT Dose (rtdose) or a DOSXYZnrc .3ddose")
    ex.add_argument("file", help="result file (.h5)")
    ex.add_argument("--format", required=True, choices=FORMATS, help="rtdose: DICOM RT Dose in Gy (needs "
                    "--particles); 3ddose: DOSXYZnrc text, Gy per source particle, Cartesian meshes")
    ex.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write (.dcm, .3ddose)")
    ex.add_argument("--particles", type=float, help="rtdose: source particles the plan delivers; the RT Dose holds "
                                                    "Gy per particle x this (1 keeps Gy per particle)")
    ex.add_argument("--grid", type=parse_grid, metavar="X0,X1,DX,Y0,Y1,DY,Z0,Z1,DZ",
                    help="rtdose: uniform Cartesian grid (cm) to resample onto, nearest bin, 0 outside the mesh; "
                         "write --grid=-5,5,0.2,... when it starts with a minus [cylindrical/spherical: the "
                         "radial bin width covering the mesh; Cartesian: the mesh]")
    ex.add_argument("--uncertainty", action="store_true", help="rtdose: also write the 1-sigma (Gy) as a second RT "
                                                               "Dose, Dose Type ERROR, FILE_uncertainty.dcm")
    ex.add_argument("--patient-id", help="rtdose: Patient ID")
    ex.add_argument("--patient-name", help="rtdose: Patient's Name (DICOM PN, e.g. Doe^Jane)")
    ex.add_argument("--study-uid", help="rtdose: Study Instance UID of an existing study [new]")
    ex.add_argument("--frame-of-reference-uid", help="rtdose: Frame of Reference UID (the CT's) [new]")
    ex.add_argument("--force", action="store_true", help="overwrite existing output files")
    ex.set_defaults(func=cli_export)

    g = sub.add_parser("plot", help="figures: geometry slices (CONFIG.toml) or pdd, profile, isodose (OUT.h5)")
    g.add_argument("input", help="configuration (.toml) for --kind geometry, else a result file (.h5)")
    g.add_argument("--kind", choices=["geometry", "pdd", "profile", "isodose", "uncertainty"], required=True,
                   help="geometry: slices coloured by material; pdd: depth dose with metrics (a spherical mesh: "
                        "radial dose, log scale); profile: lateral profile with field size and penumbra; isodose: "
                        "dose map with labelled isodose lines over the geometry; uncertainty: map of the relative "
                        "1-sigma in a plane")
    g.add_argument("-o", "--output", required=True, help="image file to write (.png, .pdf, .svg)")
    g.add_argument("--radius", type=float, help="pdd: average over bins within this radius of the axis, cm "
                                                "(default 1)")
    g.add_argument("--axis", choices=["x", "y", "r"], help="profile: direction (default x)")
    g.add_argument("--depth", type=float, help="profile: depth z, cm (required)")
    g.add_argument("--offset", type=float, help="profile: position on the other lateral axis, cm (default 0)")
    g.add_argument("--plane", choices=["x", "y", "z"], help="isodose, uncertainty: plane x|y|z = --position (default y; "
                                                           "cylindrical meshes: the r-z plane)")
    g.add_argument("--position", type=float, help="isodose, uncertainty: plane position, cm (default 0)")
    g.add_argument("--levels", type=_number_list(False, "90,80,50"),
                   help="isodose: comma-separated levels, %% of D_ref (default 100,90,80,50,20,10) or Gy with "
                        "--prescription")
    g.add_argument("--prescription", type=float, metavar="GY",
                   help="isodose: prescribed dose (Gy) to the --prescription-isodose level; levels then in Gy")
    g.add_argument("--prescription-isodose", type=float, metavar="PCT",
                   help="isodose: the %% of D_ref receiving the prescription (default 100)")
    g.add_argument("--config", help="isodose: configuration whose geometry and source to draw (default: the one "
                                    "stored in the result)")
    g.set_defaults(func=_cmd_plot)

    k = sub.add_parser("compare", help="compare a result with measured depth doses/profiles (PASS/FAIL, gamma)",
                       description="Exit status 0 when no judged check fails (checks not judged -- a measured value extrapolated, a metric withheld -- are counted, not failed), 1 when any fails, 2 for bad input. "
                                   "Default tolerances (AAPM TG-106/TG-72 practice) are shown in brackets.")
    k.add_argument("result", help="result file (.h5)")
    k.add_argument("measured", nargs="+", help="measured files: .csv (depth_mm,dose | x_mm,dose ...), PTW .mcc, "
                                               "w2CAD .asc/.cdp")
    k.add_argument("--gamma", default="2%/2mm", help="gamma dose difference / DTA [2%%/2mm]")
    k.add_argument("--local", action="store_true", help="local instead of global dose difference")
    k.add_argument("--pass-rate", type=float, default=95.0, help="minimum gamma pass rate, %% [95]")
    k.add_argument("--threshold", type=float, default=10.0, help="gamma low-dose threshold, %% of max [10]")
    for name, default, what in (("dmax", 2.0, "dmax"), ("r90", 1.0, "R90"), ("r80", 1.0, "R80"),
                                ("r50", 1.0, "R50"), ("rp", 1.0, "Rp"), ("centre", 1.0, "profile centre (mid 50 %% edges)"),
                                ("field-size", 2.0, "50 %% field size"), ("penumbra", 2.0, "80-20 penumbra")):
        k.add_argument(f"--{name}-tol", type=float, default=default, metavar="MM",
                       help=f"{what} tolerance, mm [{default:g}]")
    k.add_argument("--ds-tol", type=float, default=2.0, metavar="PCT", help="surface dose tolerance, %% of Dmax [2]")
    k.add_argument("--flatness-tol", type=float, default=1.0, metavar="PCT",
                   help="profile flatness difference tolerance, %% (TG-142) [1]")
    k.add_argument("--symmetry-max", type=float, default=105.0, metavar="PCT",
                   help="largest allowed profile symmetry, %% (IEC 60976, electron beams) [105]")
    k.add_argument("--radius", type=float, default=1.0, help="computed depth dose: radius about the axis, cm [1]")
    k.add_argument("--unit", choices=["mm", "cm"], help="position unit of CSV files whose header has none")
    k.add_argument("--depth", type=float, help="depth (cm) of CSV profiles whose file does not give it")
    k.add_argument("--html", metavar="REPORT.html", help="also write a self-contained HTML report")
    k.add_argument("--force", action="store_true", help="overwrite an existing report")
    k.set_defaults(func=_cmd_compare)

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

    mc = sub.add_parser("machines", help="the IOERT machine library (generic open models of mobile linacs)")
    mc.add_argument("name", nargs="?", help="machine name or machine file (.toml); omit to list all")
    mc.set_defaults(func=_cmd_machines)

    o = sub.add_parser("output-factors", help="IOERT output factors of a machine's applicators at one energy "
                       "(dose at dmax on the axis relative to the 10-cm flat applicator, with R90, R50, Rp)")
    o.add_argument("machine", help="machine name or machine file (.toml)")
    o.add_argument("--energy", type=float, required=True, help="nominal energy, MeV")
    o.add_argument("--applicators", type=_number_list(False, "4,6,10"),
                   help="inner diameters, cm (default: all of the machine's; the 10-cm flat one is always run)")
    o.add_argument("--bevels", type=_number_list(True, "0,30"), default=[0.0], help="degrees (default 0)")
    o.add_argument("--histories", type=int, default=100_000, help="histories per applicator (default 1e5)")
    o.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    o.add_argument("--runs", metavar="DIR", help="folder keeping each run (read again when its configuration matches)")
    o.add_argument("-o", "--output", metavar="TABLE.csv", help="also write the table as CSV")
    o.add_argument("--force", action="store_true", help="overwrite an existing CSV")
    o.set_defaults(func=_cmd_output_factors)

    cm = sub.add_parser("commission", help="fit a machine's beam (mean energy, energy and angular spread) at one "
                        "energy to measured depth doses and profiles; write the commissioned machine file",
                        description="Kernels (one run per energy and angular-spread node and applicator set-up) are "
                                    "kept in --kernels and read again; the fit superposes them; one full run per "
                                    "set-up verifies the commissioned machine against the measurements as mcdose "
                                    "compare does. Exit status 0 when every verification check passes, 1 when any "
                                    "fails (the machine file is written either way), 2 for bad input.")
    cm.add_argument("machine", help="machine name or machine file (.toml) to start from")
    cm.add_argument("measured", nargs="+", metavar="FILE@applicator=D[,bevel=B][,docking=soft,air_gap=G]",
                    help="measured curves (.csv, .mcc, .asc/.cdp as mcdose compare reads them) and their set-up: "
                         "applicator inner diameter cm, bevel degrees, docking, air gap cm")
    cm.add_argument("--energy", type=float, required=True, help="nominal energy, MeV")
    cm.add_argument("-o", "--output", required=True, metavar="MACHINE.toml", help="the commissioned machine file")
    cm.add_argument("--html", metavar="REPORT.html", help="also write the HTML report")
    cm.add_argument("--kernels", metavar="DIR", help="folder of kernel and verification runs (default: OUTPUT_kernels)")
    cm.add_argument("--kernel-histories", type=int, default=20_000, help="histories per kernel run (default 2e4)")
    cm.add_argument("--refine-histories", type=int, metavar="N",
                    help="after a first fit, run the kernels the fitted beam uses again with N histories and fit "
                         "again (the kernels' statistics limit the fit; only a few energy nodes carry weight)")
    cm.add_argument("--histories", type=int, default=100_000, help="histories per verification run (default 1e5)")
    cm.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    cm.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    cm.add_argument("--unit", choices=["mm", "cm"], help="position unit of CSV files whose header has none")
    cm.add_argument("--depth", type=float, help="depth (cm) of CSV profiles whose file does not give it")
    cm.add_argument("--force", action="store_true", help="overwrite an existing machine file or report")
    cm.set_defaults(func=_cmd_commission)

    ci = sub.add_parser("commission-intrabeam", help="fit an INTRABEAM source model's spectrum (an added "
                        "filtration) to a measured depth dose of the bare probe in water; write the fitted model",
                        description="The depth dose is along the probe's forward axis, depth from the outer surface "
                                    "of the probe tip. Exit status 0 when the verification run passes (gamma 3 %% "
                                    "local / 0.5 mm >= 95 %%), 1 when not (the model is written either way), 2 for "
                                    "bad input.")
    ci.add_argument("measured", help="measured depth dose (.csv depth_mm,dose; .mcc; .asc/.cdp)")
    ci.add_argument("--voltage", type=float, default=50.0, help="kV (default 50)")
    ci.add_argument("--model", help="source model to start from (default: the cached first-principles model)")
    ci.add_argument("-o", "--output", required=True, metavar="MODEL.h5", help="the fitted source model")
    ci.add_argument("--kernels", metavar="DIR", help="folder of kernel and verification runs (default: OUTPUT_kernels)")
    ci.add_argument("--kernel-histories", type=int, default=200_000, help="photons per kernel run (default 2e5)")
    ci.add_argument("--histories", type=int, default=10_000_000, help="photons of the verification run (default 1e7)")
    ci.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    ci.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    ci.add_argument("--unit", choices=["mm", "cm"], help="position unit of a CSV file whose header has none")
    ci.add_argument("--force", action="store_true", help="overwrite an existing output")
    ci.set_defaults(func=_cmd_commission_intrabeam)

    ph = sub.add_parser("phsp", help="IAEA phase-space files: summary (info) or figures (plot)")
    ph.add_argument("action", choices=("info", "plot"), help="info: header, counts, spectra; plot: spectra, "
                    "fluence map, angular distribution")
    ph.add_argument("file", help="NAME.IAEAheader or NAME.IAEAphsp")
    ph.add_argument("-o", "--output", metavar="FIG.png", help="plot: the figure (default NAME_phsp.png beside it)")
    ph.set_defaults(func=_cmd_phsp)

    tt = sub.add_parser("treatment-time", help="INTRABEAM / TARGIT: treatment time of a prescription from a measured "
                        "dose rate and the computed radial dose",
                        description="time = prescription / (dose rate at the reference * D(prescription point) / "
                                    "D(reference point)), D the radial dose of the result about the source; depths "
                                    "from the applicator surface, in mm. Doses are dose to water from the Monte "
                                    "Carlo, not the vendor's TARGIT (V4.0) convention.")
    tt.add_argument("file", help="result file (.h5): a spherical mesh about the source (or a Cartesian one)")
    tt.add_argument("--prescription", type=float, required=True, metavar="GY", help="prescribed dose, Gy (<= 100)")
    tt.add_argument("--at", type=_surface_or_mm, required=True, metavar="surface|MM",
                    help="prescription point: the applicator surface, or a depth from it in mm")
    tt.add_argument("--dose-rate", type=float, required=True, metavar="GY_PER_MIN",
                    help="measured dose rate at the reference point, Gy/min (<= 100)")
    tt.add_argument("--reference", type=_surface_or_mm, default="surface", metavar="surface|MM",
                    help="where the dose rate was measured: the applicator surface (default) or a depth in mm")
    tt.add_argument("--applicator-radius", type=float, metavar="CM",
                    help="applicator outer radius, cm (0: bare source; default: from the run's configuration)")
    tt.set_defaults(func=_cmd_treatment_time)

    im = sub.add_parser("intrabeam-model", help="INTRABEAM source model (photons leaving the probe per electron, by "
                        "energy and polar angle) from first principles or from a tabulated spectrum")
    im.add_argument("-o", "--output", metavar="MODEL.h5", required=True, help="the model file (HDF5)")
    im.add_argument("--voltage", type=float, default=50.0, help="kV, 20-50 (first principles; default 50)")
    im.add_argument("--histories", type=int, default=None, help="electrons (default 3e5)")
    im.add_argument("--splitting", type=int, default=None, help="bremsstrahlung splitting (default 100)")
    im.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    im.add_argument("--spectrum", metavar="FILE", help="instead: a tabulated spectrum (energy_MeV, weight rows)")
    im.add_argument("--angular", metavar="FILE", help="with --spectrum: polar angle (deg), intensity rows")
    im.add_argument("--force", action="store_true", help="overwrite an existing model file")
    im.set_defaults(func=_cmd_intrabeam_model)

    from .bench.command import CASE_NAMES, cli_bench
    be = sub.add_parser("bench", help="run the reference cases (EGSnrc, NIST, Fano, applicator, phase space) and "
                        "print one PASS/FAIL table with the efficiency beside EGSnrc's",
                        description="Exit status 0 when every row passes, 1 when any fails, 2 for bad input.")
    be.add_argument("--quick", action="store_true", help="fewer histories (tolerances widen through their k sigma "
                                                         "part only): under 10 minutes on 2 cores")
    be.add_argument("--cases", nargs="+", metavar="NAME", help=f"cases to run: {', '.join(CASE_NAMES)} [all]")
    be.add_argument("--threads", type=int, default=0, help="threads (default: all cores)")
    be.add_argument("--seed", type=int, help="one seed for every case [each case's own, the tests']")
    be.add_argument("--html", metavar="FILE.html", help="also write the table and the overlaid curves as HTML")
    be.add_argument("--markdown", metavar="FILE.md", help="also write the table as Markdown")
    be.add_argument("--force", action="store_true", help="overwrite existing output files")
    be.set_defaults(func=cli_bench)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:    # --help, --version, or a usage error already printed
        return exc.code
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        _check_numbers(args)
        return args.func(args)
    except InputError as exc:
        if args.debug:
            raise
        print(f"mcdose: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mcdose: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
