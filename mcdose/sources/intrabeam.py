"""INTRABEAM / TARGIT: the photons of a miniature 50 kV x-ray source at the tip of a probe, in a spherical
applicator (or bare).

The emission is a source model (:mod:`.intrabeam_model`): photon weight per electron by polar angle about the
probe's ``forward`` direction and energy, emitted from the ``tip`` (cm) -- ``model = "path.h5"`` (built by
``mcdose intrabeam-model``, from first principles or from a tabulated spectrum), or by default the cached
first-principles model of ``voltage`` kV (built at first use, minutes). The dose is per electron on the
target. The model holds everything that happens inside the probe, so the scene gets the probe's volume as
vacuum (the tip and the shaft, ``PROBE.length`` back from the tip) and, unless ``applicator = "bare"``,
the spherical applicator around the tip (:mod:`.intrabeam_probe`: polyetherimide 1.27 g/cm3, 1.5-5.0 cm).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..kernels.codes import POINT
from ..schema import Field

FIELDS = {
    "voltage": Field("float", 50.0, unit="kV", ge=20, le=50, doc="accelerating voltage: the electrons' energy "
                     "on the target (keV)"),
    "model": Field("str", doc="source model file (HDF5, mcdose intrabeam-model), relative to the configuration; "
                   "absent: the cached first-principles model of the voltage"),
    "tip": Field("vec", (0.0, 0.0, 0.0), unit="cm", length=3, doc="centre of the probe tip (the target)"),
    "forward": Field("vec", (0.0, 0.0, 1.0), length=3, doc="direction the electrons travel down the probe "
                     "(the probe's shaft lies behind the tip)"),
}


def resolve(source, base: Path) -> None:
    """A model file becomes absolute, relative to the configuration's folder ``base``."""
    if "model" in source:
        source["model"] = str((base / source["model"]).resolve())


def _forward(source) -> np.ndarray:
    from ..geometry.surfaces import _unit
    return np.array(_unit(source["forward"], "source.forward"))


def check(source) -> None:
    """Photons only; the applicator one of the set or "bare"; forward a direction; a model file readable."""
    from .intrabeam_probe import _diameter
    if source.get("particle", "photon") != "photon":
        raise InputError(f"source.particle: {source['particle']!r} is not allowed with type = 'intrabeam': the "
                         "source emits the probe's photons (remove the key)")
    if source["applicator"] != "bare":
        _diameter(source["applicator"])
    _forward(source)
    if "model" in source:
        _model(source)


def _model(source):
    from . import intrabeam_model
    path = source["model"] if "model" in source else intrabeam_model.default_path(source["voltage"])
    model = intrabeam_model.load(path)
    voltage = model.attrs.get("voltage_kV")
    if "model" in source and voltage is not None and abs(float(voltage) - source["voltage"]) > 1e-6:
        raise InputError(f"source.model {source['model']!r}: built for {float(voltage):g} kV, source.voltage is "
                         f"{source['voltage']:g} kV")
    return model


def spectrum(source) -> tuple:
    """(energies MeV, probabilities) of the model over all angles (bin centres)."""
    return _model(source).spectrum()


def arrays(source) -> dict:
    """Kernel kind POINT at the tip, weight = photons per electron, polar intervals about forward with the
    spectrum of each (``energy_cdf``)."""
    model = _model(source)
    angle = model.weights.sum(axis=1)
    polar_cdf = np.concatenate([[0.0], np.cumsum(angle)]) / angle.sum()
    polar_cdf[-1] = 1.0
    rows = np.cumsum(model.weights, axis=1)
    totals = rows[:, -1:]
    energy_cdf = np.where(totals > 0, rows / np.where(totals > 0, totals, 1.0), 1.0)
    energy_cdf[:, -1] = 1.0
    geometry = np.zeros(6)
    geometry[:3] = source["tip"]
    return {"kind": POINT, "geometry": geometry, "direction": _forward(source), "weight": model.photons_per_electron,
            "polar_mu": np.ascontiguousarray(model.mu_edges), "polar_cdf": polar_cdf,
            "energy_cdf": np.ascontiguousarray(energy_cdf)}     # columns: the bins of spectrum()


def parts(source) -> list:
    """The applicator (unless bare), then the probe's volume as vacuum: the model holds the probe."""
    from .intrabeam_probe import PROBE, applicator_parts
    tip, back = list(source["tip"]), (-_forward(source)).tolist()
    hardware = [] if source["applicator"] == "bare" else applicator_parts(source["applicator"], tip=tip, back=back)
    return hardware + [
        {"name": "intrabeam probe (in the source model)", "shape": "cylinder", "material": "vacuum",
         "radius": PROBE.outer_radius, "z": [0.0, PROBE.length], "center": tip, "axis": back},
        {"name": "intrabeam tip (in the source model)", "shape": "sphere", "material": "vacuum",
         "radius": PROBE.outer_radius, "center": tip},
    ]


def check_world(source, geometry) -> None:
    """The tip lies in the world."""
    geometry.check_source_point(*source["tip"], what="source.tip")
