"""What a result simulated, in words: a figure or report title and the provenance table.

Both read the resolved configuration stored in the result file (attribute ``config``) and its run attributes;
nothing is taken from the file name.
"""
from __future__ import annotations

import hashlib

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from mcdose.errors import InputError


def result_config(result) -> dict | None:
    """The resolved configuration (nested dict) stored in a result, or None when it has none."""
    text = result.metadata.get("config")
    if not text:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"result attribute config: not valid TOML ({exc})") from None


def result_spec(result):
    """The validated configuration (mcdose.config.Spec) of a result, or None when it stores none."""
    data = result_config(result)
    if data is None:
        return None
    from mcdose.config import load_config
    return load_config(data)


def source_words(source: dict) -> str:
    """The source in words, e.g. "9 MeV electrons, 10 cm diameter circular field"."""
    kind, particle = source.get("type", "beam"), source.get("particle", "")
    if kind == "ioert":
        bevel = f", {source['bevel']:g}° bevel" if source.get("bevel") else ""
        return (f"{source.get('machine', '?')} {source.get('energy', 0):g} MeV electrons, "
                f"{source.get('applicator', 0):g} cm applicator{bevel}")
    if kind == "intrabeam":
        app = source.get("applicator", "bare")
        app = "bare probe" if app == "bare" else f"{app:g} cm spherical applicator"
        return f"INTRABEAM {source.get('voltage', 50):g} kV, {app}"
    if kind == "phase_space":
        return f"phase space {str(source.get('file', '?')).rsplit('/', 1)[-1]}"
    energy = f"{source['energy']:g} MeV" if "energy" in source else "spectrum"
    if kind == "point":
        return f"{energy} {particle} point source"
    if kind == "beam":
        if source.get("shape") == "rectangle":
            w, h = source.get("size", (0, 0))
            field = f"{w:g} cm × {h:g} cm field"
        else:
            field = f"{2 * source.get('radius', 0):g} cm diameter field"
        return f"{energy} {particle}s, {field}"
    return f"{energy} {particle} {kind} source"


def phantom_words(phantom: dict) -> str:
    kind = phantom.get("type", "box")
    if kind in ("box", "cylinder"):
        return f"{phantom.get('material', '?')} {kind} phantom"
    return f"{kind} phantom"


def run_title(result) -> str:
    """E.g. "9 MeV electrons, 10 cm diameter field; water box phantom; 1,000,000 histories"."""
    config = result_config(result)
    histories = result.metadata.get("histories")
    tail = f"; {int(histories):,} histories" if histories else ""
    if config is None:
        return "mcdose result" + tail
    return f"{source_words(config.get('source', {}))}; {phantom_words(config.get('phantom', {}))}{tail}"


def mesh_words(grid, unit: str = "cm") -> str:
    """A scoring mesh in words, lengths in `unit` ("cm" or "mm"), e.g. "cylindrical: r 40 bins 0–80 mm; ..."."""
    k = 10.0 if unit == "mm" else 1.0
    axes = "; ".join(f"{name[0]} {e.size - 1} bins {k * e[0]:g}–{k * e[-1]:g} {unit}" for name, e in grid.edges.items())
    centre = f"; centre ({', '.join(f'{k * c:g}' for c in grid.center)}) {unit}" if grid.kind == "spherical" else ""
    return f"{grid.kind}: {axes}{centre}"


def provenance(result, normalisation=None, unit: str = "cm") -> list:
    """[(item, value)] for a report: version, configuration digest, source, phantom, mesh, histories, batches,
    seed, run time and the normalisation sentence (a mcdose.analysis.normalisation.Normalisation, when given);
    lengths in `unit` ("cm" or "mm")."""
    m = result.metadata
    config = result_config(result) or {}
    rows = [("mcdose version", str(m.get("mcdose_version", "unknown"))),
            ("configuration (SHA-256 of the stored TOML)",
             hashlib.sha256(m["config"].encode()).hexdigest()[:16] if m.get("config") else "not stored"),
            ("source", source_words(config.get("source", {})) if config else "unknown"),
            ("phantom", phantom_words(config.get("phantom", {})) if config else "unknown"),
            ("mesh", mesh_words(result.grid, unit)),
            ("histories", f"{int(m['histories']):,}" if "histories" in m else "unknown"),
            ("batches", str(m.get("batches", "unknown"))),
            ("seed", str(m.get("seed", "unknown"))),
            ("run time", f"{float(m['elapsed_seconds']):.0f} s" if "elapsed_seconds" in m else "unknown"),
            ("uncertainties", f"{m.get('uncertainty_method', 'batch')} method, 1 standard deviation")]
    if m.get("stopped_by"):
        rows.append(("stopped early", str(m["stopped_by"])))
    if normalisation is not None:
        rows.append(("normalisation", normalisation.describe(unit)))
    return rows
