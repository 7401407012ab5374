"""``mcdose bench``: run the reference cases, print the table, write it as HTML and Markdown on request.

Exit status 0 when every row passes, 1 when any fails, 2 for bad input (mcdose.cli). The outputs are
checked before any case runs and written atomically (mcdose.outputs).
"""
from __future__ import annotations

import os
import tempfile
import time
from importlib.resources import files
from pathlib import Path

from ..errors import InputError
from ..outputs import atomic_write, check_output
from ..schema import SECTIONS
from .cases import CASES, histories, run_case
from .report import Bench, markdown, text
from .timing import cpu_model

CASE_NAMES = tuple(CASES)


def select(names) -> list:
    """Canonical case names of `names` (case-insensitive; None: every case), in CASES order, or InputError."""
    if not names:
        return list(CASES)
    canonical = {c.lower(): c for c in CASES}
    for name in names:
        if name.lower() not in canonical:
            raise InputError(f"--cases: {name!r} is not allowed: one of {', '.join(CASE_NAMES)}")
    wanted = {canonical[n.lower()] for n in names}
    return [c for c in CASES if c in wanted]


def cli_bench(args) -> int:
    from .. import __version__
    names = select(args.cases)
    threads = SECTIONS["run"].fields["threads"].check("--threads", args.threads) or (os.cpu_count() or 1)
    seed = None if args.seed is None else SECTIONS["run"].fields["seed"].check("--seed", args.seed)
    inputs = [("the reference data", Path(str(f))) for f in files("mcdose.reference").iterdir()]
    outputs = {}
    for option, suffixes in (("html", (".html", ".htm")), ("markdown", (".md",))):
        if getattr(args, option) is not None:
            outputs[option] = check_output(Path(getattr(args, option)), force=args.force, inputs=inputs,
                                           suffixes=suffixes)
    machine = cpu_model()
    command = " ".join(["mcdose bench"] + ["--quick"] * args.quick + (["--cases", *names] if args.cases else [])
                       + ([f"--seed {seed}"] if seed is not None else []))
    print(f"{command}: {', '.join(names)} on {threads} thread(s), {machine}", flush=True)
    start = time.perf_counter()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="mcdose-bench-") as folder:
        for case in names:
            n = histories(case, args.quick)
            print(f"  {case}" + (f": {n:,} histories" if n else "") + " ...", flush=True)
            outcomes.append(run_case(case, args.quick, seed, threads, Path(folder)))
    bench = Bench(tuple(outcomes), command, threads, time.perf_counter() - start, machine, __version__)
    print(text(bench))
    if "markdown" in outputs:
        content = markdown(bench)
        atomic_write(outputs["markdown"], lambda tmp: Path(tmp).write_text(content, encoding="utf-8"))
        print(f"wrote {outputs['markdown']}")
    if "html" in outputs:
        from .html import html_report
        content = html_report(bench)
        atomic_write(outputs["html"], lambda tmp: Path(tmp).write_text(content, encoding="utf-8"))
        print(f"wrote {outputs['html']}")
    return 0 if bench.passes else 1
