"""``mcdose export``: a result file (HDF5) as a DICOM RT Dose (:mod:`mcdose.export_rtdose`) or a DOSXYZnrc
.3ddose (:func:`mcdose.egs_files.write_3ddose`)."""
from __future__ import annotations

import argparse
import math

import numpy as np

from .errors import InputError

__all__ = ["FORMATS", "cli_export", "grid_edges", "parse_grid"]

FORMATS = ("rtdose", "3ddose")


def parse_grid(text: str) -> tuple:
    """argparse type of ``--grid``: nine comma-separated numbers ``x0,x1,dx,y0,y1,dy,z0,z1,dz`` (cm), each range a
    whole number of steps; returns the triples."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 9 or not all(map(math.isfinite, values)):
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not allowed: nine comma-separated numbers "
                                         "x0,x1,dx,y0,y1,dy,z0,z1,dz in cm, e.g. --grid=-5,5,0.2,-5,5,0.2,0,10,0.2")
    triples = tuple(tuple(values[i:i + 3]) for i in (0, 3, 6))
    try:
        grid_edges(triples)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return triples


def grid_edges(triples) -> tuple:
    """(x_edges, y_edges, z_edges), cm, of ``((x0, x1, dx), (y0, y1, dy), (z0, z1, dz))``; InputError unless each
    range is increasing and a whole number of steps dx > 0."""
    edges = []
    for axis, (lo, hi, step) in zip("xyz", triples):
        if not (step > 0 and hi > lo):
            raise InputError(f"--grid {axis}: needs {axis}0 < {axis}1 and a step > 0 (got {lo:g}, {hi:g}, {step:g} cm)")
        n = round((hi - lo) / step)
        if n < 1 or abs(n * step - (hi - lo)) > 1e-6 * step:
            raise InputError(f"--grid {axis}: {lo:g}..{hi:g} cm is not a whole number of {step:g} cm steps")
        if n > 65535:
            raise InputError(f"--grid {axis}: {n} voxels; at most 65535")
        edges.append(lo + step * np.arange(n + 1))
    return tuple(edges)


def cli_export(args) -> int:
    """``mcdose export OUT.h5 --format rtdose|3ddose -o FILE``: args.file, args.format, args.output,
    args.particles, args.grid (triples from :func:`parse_grid` or None), args.uncertainty, args.patient_id,
    args.patient_name, args.study_uid, args.frame_of_reference_uid, args.force. Prints ``wrote FILE`` per file."""
    from pathlib import Path

    from .outputs import check_output
    from .results import load
    inputs = [("the result file", args.file)]
    fmt = args.format
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r} is not allowed: one of {', '.join(FORMATS)}")
    options = {"--particles": getattr(args, "particles", None), "--grid": getattr(args, "grid", None),
               "--uncertainty": getattr(args, "uncertainty", False) or None,
               "--patient-id": getattr(args, "patient_id", None), "--patient-name": getattr(args, "patient_name", None),
               "--study-uid": getattr(args, "study_uid", None),
               "--frame-of-reference-uid": getattr(args, "frame_of_reference_uid", None)}
    if fmt == "3ddose":
        given = [k for k, v in options.items() if v is not None]
        if given:
            raise InputError(f"{', '.join(given)}: only with --format rtdose (a .3ddose holds the dose in Gy per "
                             "source particle on the result's own Cartesian mesh, with its uncertainty)")
        check_output(Path(args.output), force=args.force, inputs=inputs)
        result = load(args.file)
        from .egs_files import write_3ddose
        write_3ddose(result, args.output, force=args.force, inputs=inputs)
        print(f"wrote {args.output}")
        return 0
    if options["--particles"] is None:
        raise InputError("--particles: required with --format rtdose: the number of source particles the plan "
                         "delivers (the RT Dose holds Gy = Gy per particle x particles); 1 writes Gy per particle")
    from .export_rtdose import uncertainty_path, write_rtdose
    check_output(Path(args.output), force=args.force, inputs=inputs)      # before loading: refuse early
    if options["--uncertainty"]:
        check_output(uncertainty_path(args.output), force=args.force, inputs=inputs)
    result = load(args.file)
    grid = None if options["--grid"] is None else grid_edges(options["--grid"])
    paths = write_rtdose(result, args.output, particles=args.particles, grid_cm=grid,
                         uncertainty=bool(options["--uncertainty"]), patient_id=options["--patient-id"],
                         patient_name=options["--patient-name"], study_uid=options["--study-uid"],
                         frame_of_reference_uid=options["--frame-of-reference-uid"], inputs=inputs, force=args.force)
    for p in paths:
        print(f"wrote {p}")
    return 0
