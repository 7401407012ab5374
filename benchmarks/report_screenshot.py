"""Build a commissioning report and render it in headless Chromium: a screenshot (PNG) and an A4 PDF.

The result is a saved result file (argument) or a quick run of examples/water_9MeV.toml (--histories, 2 mm
radial bins). The measured curves are made from it as in issue 13: its depth dose 1.5 mm deeper, scaled by
2 % and scanned from 2 mm (so R90..Rp fail and the surface dose is extrapolated: not judged), and its profile
at 10 mm depth shifted 1.5 mm sideways (the centre check fails).

    python -m benchmarks.report_screenshot [RESULT.h5] [--out DIR] [--histories N] [--chromium PATH]

Needs Chromium (Debian/Ubuntu: ``apt-get install -y chromium``).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "water_9MeV.toml"
WINDOW = "1240,1754"  # A4 at 150 dpi


def quick_result(histories: int):
    """examples/water_9MeV.toml with 2 mm radial bins, run for `histories`."""
    from mcdose.api import run
    return run(EXAMPLE, histories=histories, batches=10, **{"scoring.r_edges": [round(0.2 * i, 1) for i in range(41)]})


def measured_files(result, folder: Path) -> list:
    """CSV files of the issue's measurements made from `result` (see the module docstring)."""
    pdd = result.pdd()
    z = np.arange(0.2, pdd.position_cm[-1], 0.05)
    dose = 102 * np.interp(z - 0.15, pdd.position_cm, pdd.dose) / pdd.dose.max()
    rows = "".join(f"{10 * a:.1f},{d:.4f}\n" for a, d in zip(z, dose))
    (folder / "pdd_shifted.csv").write_text("depth_mm,dose\n" + rows)
    prof = result.profile("x", 1.0)
    x = np.arange(-80.0, 80.01, 1.0)
    dose = np.interp(x / 10 - 0.15, prof.position_cm, prof.dose)
    rows = "".join(f"{a:.1f},{100 * d / dose.max():.4f}\n" for a, d in zip(x, dose))
    (folder / "profile_shifted.csv").write_text("# depth_mm = 10\nx_mm,dose\n" + rows)
    return [folder / "pdd_shifted.csv", folder / "profile_shifted.csv"]


def render(chromium: str, page: Path, png: Path, pdf: Path) -> None:
    """Screenshot and A4 PDF of `page` in headless Chromium (a throw-away profile, no network services)."""
    with tempfile.TemporaryDirectory() as profile:
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"]
        for extra in ([f"--screenshot={png}", f"--window-size={WINDOW}"], [f"--print-to-pdf={pdf}",
                                                                           "--no-pdf-header-footer"]):
            subprocess.run(base + extra + [page.resolve().as_uri()], check=True, capture_output=True, timeout=120)


def a4_pages(pdf: Path) -> int:
    """Pages of a PDF that Chromium printed, after checking that every page is A4 (595 x 842 pt)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    if not boxes or any(abs(float(w) - 595.3) > 1 or abs(float(h) - 841.9) > 1 for w, h in boxes):
        raise SystemExit(f"{pdf}: not A4 pages ({boxes[:3]})")
    return len(boxes)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("result", nargs="?", help="result file (.h5); default: a quick run of " + EXAMPLE.name)
    out_default = Path(tempfile.gettempdir()) / "mcdose_report_screenshot"
    p.add_argument("--out", default=str(out_default), help=f"output folder [{out_default}]")
    p.add_argument("--histories", type=int, default=20_000, help="histories of the quick run [20000]")
    p.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable [/usr/bin/chromium]")
    args = p.parse_args(argv)
    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"Chromium not found at {args.chromium}: install it (Debian/Ubuntu: apt-get install -y chromium) "
              "or give --chromium PATH", file=sys.stderr)
        return 2
    from mcdose.analysis import compare, read_measured
    from mcdose.analysis.report_html import html_report
    from mcdose.results import load
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = load(args.result) if args.result else quick_result(args.histories)
    curves = [c for f in measured_files(result, out) for c in read_measured(f)]
    comparison = compare(result, curves)
    page = out / "report.html"
    name = Path(args.result).name if args.result else f"quick run of {EXAMPLE.name}"
    page.write_text(html_report(comparison, result, name), encoding="utf-8")
    png, pdf = out / "report_page1.png", out / "report.pdf"
    render(chromium, page, png, pdf)
    print(f"{comparison.summary()}\nwrote {page}\nwrote {png}\nwrote {pdf} ({a4_pages(pdf)} A4 pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
