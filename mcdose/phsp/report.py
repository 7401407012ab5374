"""Text summary and figures of an IAEA phase space (IAEA(NDS)-0484), for the command line.

:func:`info_text` validates the whole file (one :meth:`~mcdose.phsp.iaea.PhaseSpaceReader.scan`)
and summarises header, record layout, per-type counts and energies with a text energy histogram
per type; :func:`plot` draws energy spectra, the x-y fluence map, polar-angle distributions and the
radial fluence in one 2 x 2 figure (matplotlib, Agg). Energies in MeV, lengths in cm. Both stream
the file (two passes), so memory does not grow with its size.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..plotting_dose import save_figure  # noqa: E402
from .iaea import _EXTRA_FLOAT_TYPES, _EXTRA_LONG_TYPES, KINDS, SCAN_CHUNK, PhaseSpaceReader  # noqa: E402

__all__ = ["info_text", "plot"]

BAR = 40                # characters of the longest histogram bar
COLOURS = {"photon": "#1f77b4", "electron": "#d62728", "positron": "#2ca02c"}


def _layout(h) -> list:
    """Lines describing the record layout."""
    stored = [k for k in ("x", "y", "z", "u", "v", "weight") if h.stored[k]]
    lines = [f"record:       {h.record_length} bytes, {'little' if h.byte_order == '<' else 'big'} endian: type, "
             f"energy{''.join(', ' + k for k in stored)} (w from u, v and the sign of the type)"]
    const = [f"{k} = {v:g}" for k, v in h.constants.items() if k != "w"]
    if const:
        lines.append(f"constant:     {', '.join(const)}")
    if h.extra_floats:
        lines.append("extra floats: " + ", ".join(_EXTRA_FLOAT_TYPES[c] for c in h.extra_floats))
    if h.extra_longs:
        lines.append("extra longs:  " + ", ".join(_EXTRA_LONG_TYPES[c] for c in h.extra_longs))
    return lines


def _bar(value: float, top: float) -> str:
    return "#" * (int(round(BAR * value / top)) if top > 0 else 0)


def info_text(path, bins: int = 20) -> str:
    """Summary of the phase space at ``path`` (header, data or stem): title, particles, original
    histories, history flags, record layout, per-type counts with energy min/mean/max (MeV) and a
    text histogram of the energy per type (``bins`` bins between the type's min and max energy;
    particle counts). Validates every record: InputError as :class:`PhaseSpaceReader`."""
    reader = PhaseSpaceReader(path)
    h, s = reader.header, reader.scan()
    lines = [f"IAEA phase space {h.header_path.with_suffix('')}",
             f"title:        {h.title or '(none)'}",
             f"IAEA index:   {h.index or '(none)'}",
             f"particles:    {s.particles:,}",
             f"original histories: {h.orig_histories:,}"]
    if s.has_history_flags:
        lines.append(f"history flags: yes ({s.histories:,} histories with particles, at most "
                     f"{s.max_history_particles:,} particles in one)")
    else:
        lines.append("history flags: no (every particle is its own history)")
    if s.incremental_histories is not None:
        lines.append(f"incremental history numbers: yes (sum {s.incremental_histories:,})")
    lines += _layout(h)
    if s.particles:
        lines.append(f"weight:       {s.weight_min:.6g} .. {s.weight_max:.6g}")
        lines.append(f"extent (cm):  x {s.x_min:.5g} .. {s.x_max:.5g}, y {s.y_min:.5g} .. {s.y_max:.5g}, "
                     f"z {s.z_min:.5g} .. {s.z_max:.5g}")
    lines.append("")
    lines.append(f"{'type':<10}{'particles':>14}{'weight sum':>14}{'E min MeV':>12}{'E mean MeV':>12}{'E max MeV':>12}")
    for k in KINDS:
        if s.counts[k]:
            lines.append(f"{k:<10}{s.counts[k]:>14,}{s.weight_sum[k]:>14.6g}{s.energy_min[k]:>12.5g}"
                         f"{s.energy_mean[k]:>12.5g}{s.energy_max[k]:>12.5g}")
        else:
            lines.append(f"{k:<10}{0:>14}{'-':>14}{'-':>12}{'-':>12}{'-':>12}")
    present = [k for k in KINDS if s.counts[k]]
    if not present or bins < 1:
        return "\n".join(lines)
    edges = {k: np.linspace(s.energy_min[k], s.energy_max[k] if s.energy_max[k] > s.energy_min[k]
                            else s.energy_min[k] * (1 + 1e-6) + 1e-12, bins + 1) for k in present}
    hist = {k: np.zeros(bins, np.int64) for k in present}
    for _, p in reader.chunks(SCAN_CHUNK):
        for c, k in enumerate(KINDS):
            if k in hist:
                hist[k] += np.histogram(p.energy[p.kind == c], edges[k])[0]
    for k in present:
        lines += ["", f"{k} energy histogram (particles per bin)"]
        top = hist[k].max()
        for i in range(bins):
            lines.append(f"  {edges[k][i]:10.4g} - {edges[k][i + 1]:<10.4g} {hist[k][i]:>12,} {_bar(hist[k][i], top)}")
    return "\n".join(lines)


def plot(path, out_png, bins: int = 100) -> Path:
    """Write a 2 x 2 figure of the phase space at ``path`` to ``out_png`` (atomically: temporary file
    and os.replace) and return its path: energy spectra per type (weighted, log y), the weighted x-y
    fluence map (per cm^2 and original history), polar-angle distributions per type (angle to +z,
    weighted) and the radial fluence (per cm^2 and original history, against r = sqrt(x^2 + y^2))."""
    reader = PhaseSpaceReader(path)
    h, s = reader.header, reader.scan()
    bins = max(int(bins), 1)
    present = [c for c, k in enumerate(KINDS) if s.counts[k]]
    per = 1.0 / h.orig_histories if h.orig_histories else 1.0
    e_top = max([s.energy_max[KINDS[c]] for c in present] + [1e-3])
    e_edges = np.linspace(0.0, e_top * 1.0001, bins + 1)
    a_edges = np.linspace(0.0, 180.0, min(bins, 180) + 1)
    r_max = max(abs(s.x_min), abs(s.x_max), abs(s.y_min), abs(s.y_max), 1e-3) if s.particles else 1.0
    r_max *= 1.0001
    xy_edges = np.linspace(-r_max, r_max, bins + 1)
    r_edges = np.linspace(0.0, r_max * math.sqrt(2.0), bins + 1)
    e_hist = np.zeros((3, bins))
    a_hist = np.zeros((3, len(a_edges) - 1))
    xy_hist = np.zeros((bins, bins))
    r_hist = np.zeros(bins)
    for _, p in reader.chunks(SCAN_CHUNK):
        for c in present:
            sel = p.kind == c
            e_hist[c] += np.histogram(p.energy[sel], e_edges, weights=p.weight[sel])[0]
            theta = np.degrees(np.arccos(np.clip(p.w[sel], -1.0, 1.0)))
            a_hist[c] += np.histogram(theta, a_edges, weights=p.weight[sel])[0]
        xy_hist += np.histogram2d(p.x, p.y, (xy_edges, xy_edges), weights=p.weight)[0]
        r_hist += np.histogram(np.hypot(p.x, p.y), r_edges, weights=p.weight)[0]
    pixel = (xy_edges[1] - xy_edges[0]) ** 2
    annulus = math.pi * (r_edges[1:] ** 2 - r_edges[:-1] ** 2)

    fig, axs = plt.subplots(2, 2, figsize=(11, 9), constrained_layout=True)
    ax = axs[0, 0]
    for c in present:
        k = KINDS[c]
        ax.stairs(e_hist[c] * per / np.diff(e_edges), e_edges, color=COLOURS[k], label=f"{k}s ({s.counts[k]:,})")
    ax.set_yscale("log")
    ax.set_xlabel("kinetic energy (MeV)")
    ax.set_ylabel("weight per MeV per history")
    ax.set_title("energy spectra")
    if present:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = axs[0, 1]
    image = ax.imshow((xy_hist * per / pixel).T, origin="lower", extent=(-r_max, r_max, -r_max, r_max),
                      cmap="viridis", aspect="equal", interpolation="nearest")
    fig.colorbar(image, ax=ax, label="weight per cm² per history")
    ax.set_xlabel("x (cm)")
    ax.set_ylabel("y (cm)")
    ax.set_title("fluence, all particles")

    ax = axs[1, 0]
    for c in present:
        k = KINDS[c]
        ax.stairs(a_hist[c] * per, a_edges, color=COLOURS[k], label=f"{k}s")
    ax.set_xlabel("polar angle to +z (degrees)")
    ax.set_ylabel("weight per bin per history")
    ax.set_title("angular distribution")
    ax.set_xlim(0, 180)
    if present:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

    ax = axs[1, 1]
    ax.stairs(r_hist * per / annulus, r_edges, color="k")
    ax.set_xlabel("r = sqrt(x² + y²) (cm)")
    ax.set_ylabel("weight per cm² per history")
    ax.set_title("radial fluence, all particles")
    ax.grid(alpha=0.3)
    fig.suptitle(f"{h.header_path.with_suffix('').name}: {s.particles:,} particles, "
                 f"{h.orig_histories:,} histories" + (f" — {h.title}" if h.title else ""), fontsize=10)
    return save_figure(fig, Path(out_png))
