"""Source families: a validated ``[source]`` section -> :class:`~mcdose.kernels.source.SourceArrays`.

Each ``source.type`` is a family, a module of this package registered in ``registry.FAMILIES``, that
declares

* ``FIELDS``: its ``[source]`` keys (:class:`~mcdose.schema.Field`: unit, default, range, doc),
  written without the type condition: ``registry.section`` adds ``type = NAME`` to each;
* ``arrays(section) -> dict``: its part of :class:`~mcdose.kernels.source.SourceArrays`, at least
  ``kind`` (a source code of :mod:`mcdose.kernels.codes`) and ``geometry`` (float64[6]);
* ``check_world(section, geometry)``: InputError when it would emit outside the world;
* optionally ``resolve(section, base)``: makes the files it names absolute (``base``: the configuration's
  folder);
* optionally ``check(section)``: checks between its keys (may normalise values in place);
* optionally ``check_scene(section, geo, arrays)``: InputError when the built scene (kernel arrays) cannot
  hold its emission (a volume source's box without matter);
* optionally ``spectrum(section) -> (energies MeV, probabilities)``: its own spectrum (a machine's) instead
  of ``energy`` or ``spectrum``;
* optionally ``describe(section) -> str``: what it loaded, told to the user when the problem is built;
* optionally ``feed(section, sizes) -> callable(batch) -> dict``: SourceArrays fields that change from
  batch to batch (``sizes``: histories per batch), such as a phase space's segment of particles;
* optionally ``parts(section) -> list``: [[parts]] tables (keys as a user writes them) that the
  family adds to the scene -- an applicator, a probe -- painted over the phantom before the user's
  [[parts]] and validated like them (``source parts[i]`` in messages).

The keys every family shares -- particle, energy or spectrum, weight, primaries per history --
are declared in :mod:`.registry`. Adding a family: its module, one line in FAMILIES, its kind
code in kernels/codes.py and its branch of ``sample_primary`` in kernels/source.py.
"""
from __future__ import annotations

import numpy as np

from .. import schema  # noqa: F401  (first: schema assembles [source] from .registry, which needs it)
from .point import polar_table

IDENTITY_FRAME = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])   # SourceArrays.frame
from .registry import FAMILIES, PARTICLES

__all__ = ["FAMILIES", "check", "check_scene", "check_world", "describe", "feed", "parts", "resolve", "source_arrays", "spectrum",
           "mean_energy", "polar_table"]


def resolve(source, base) -> None:
    """Read or locate the files a validated section names, relative to the configuration's folder
    ``base`` (a Path): ``spectrum_file`` becomes ``spectrum``; the family resolves its own."""
    if "spectrum_file" in source:
        from ..config import read_spectrum_file
        source["spectrum"] = read_spectrum_file(base / source.pop("spectrum_file"))
    family = FAMILIES[source["type"]]
    if hasattr(family, "resolve"):
        family.resolve(source, base)


def check_scene(source, geo, arrays) -> None:
    """The family's checks of its emission against the built scene (kernel arrays), if any."""
    family = FAMILIES[source["type"]]
    if hasattr(family, "check_scene"):
        family.check_scene(source, geo, arrays)


def check(source) -> None:
    """The checks between a validated section's keys that its family declares."""
    family = FAMILIES[source["type"]]
    if hasattr(family, "check"):
        family.check(source)


def describe(source) -> str | None:
    """What the family loaded (a phase space's counts), said once when the problem is built; or None."""
    family = FAMILIES[source["type"]]
    return family.describe(source) if hasattr(family, "describe") else None


def feed(source, sizes):
    """The family's per-batch SourceArrays fields (``callable(batch) -> dict``), or None."""
    family = FAMILIES[source["type"]]
    return family.feed(source, sizes) if hasattr(family, "feed") else None


def parts(source) -> list:
    """The [[parts]] tables the family of a validated section adds to the scene (none by default)."""
    family = FAMILIES[source["type"]]
    return list(family.parts(source)) if hasattr(family, "parts") else []


def check_world(source, geometry) -> None:
    """InputError if the source emits from outside the world of ``geometry``."""
    FAMILIES[source["type"]].check_world(source, geometry)


def spectrum(source) -> tuple:
    """(energies MeV, probabilities) of the source: the family's own, one line, or the normalised
    [E, weight] pairs."""
    family = FAMILIES[source["type"]]
    if hasattr(family, "spectrum"):
        return family.spectrum(source)
    if "energy" in source:
        return np.array([source["energy"]]), np.array([1.0])
    pairs = np.array(source["spectrum"], dtype=np.float64)
    keep = pairs[:, 1] > 0
    return pairs[keep, 0], pairs[keep, 1] / pairs[keep, 1].sum()


def mean_energy(source) -> float:
    """Mean emitted kinetic energy, MeV."""
    energies, probabilities = spectrum(source)
    return float(np.dot(energies, probabilities))


def source_arrays(source):
    """Kernel bundle of a validated ``[source]`` section (cm, MeV): the shared fields, then the family's."""
    from ..kernels.source import SourceArrays       # numba: at problem build, not when a configuration is read
    energies, probabilities = spectrum(source)
    cdf = np.cumsum(probabilities)
    cdf[-1] = 1.0
    shared = dict(particle=PARTICLES[source["particle"]], spectrum_energy=np.ascontiguousarray(energies),
                  spectrum_cdf=cdf, weight=float(source.get("weight", 1.0)),
                  primaries=int(source.get("primaries_per_history", 1)), direction=np.array((0.0, 0.0, 1.0)),
                  polar_mu=np.empty(0), polar_cdf=np.empty(0), particles=np.zeros((0, 9)),
                  history_start=np.zeros(1, dtype=np.int64), frame=IDENTITY_FRAME, energy_cdf=np.zeros((0, 0)))
    return SourceArrays(**{**shared, **FAMILIES[source["type"]].arrays(source)})
