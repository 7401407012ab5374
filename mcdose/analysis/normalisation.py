"""The one normalisation of mcdose: 100 % = D_ref, the fitted maximum of the central-axis depth dose.

D_ref is :func:`mcdose.analysis.depth_dose.peak_fit` applied to ``Result.pdd(radius_cm)`` -- the depth dose
averaged over r <= radius_cm (1 cm by default) about the z axis, or the radial dose of a spherical mesh beyond
its last material surface (a point source's dose grows without bound towards the source, and the gas inside an
applicator or cavity is not what is prescribed to: beyond the surface the fitted maximum is the dose at the
applicator or cavity surface, the TARGIT prescription point).
A fit over the bins about the highest one, rather than the highest bin itself, removes the upward bias of
picking the largest of many noisy bins (about +1 sigma of a bin). Depth doses, dose maps, isodose lines,
prescriptions (P Gy to the Q % isodose), the pdd CSV and the commissioning report all use this D_ref and say
so. Profiles keep the IEC 60976 convention for their shape metrics (relative to their own fitted
central-axis dose) and say so on their axis.
"""
from __future__ import annotations

from dataclasses import dataclass

from mcdose.errors import InputError

NOT_PRESCRIBED = ("vacuum", "air", "outside the world")  # a radial dose's surface is the last one into matter


@dataclass(frozen=True)
class Normalisation:
    """D_ref: dose (Gy per source particle) = 100 %, its 1-sigma, and where it was found: position_cm along
    `axis` ("z" depth, "r" radius), on the depth dose averaged within radius_cm of the axis (None: radial);
    beyond_cm: a radial dose's last surface (cm) beyond which the maximum was sought."""

    dose: float
    sigma: float
    position_cm: float
    axis: str
    radius_cm: float | None
    beyond_cm: float | None = None

    @property
    def label(self) -> str:
        """Axis-label text."""
        return "dose (% of D_ref)"

    def where(self, unit: str = "cm") -> str:
        """Where D_ref was found, lengths in `unit` ("cm", 2 decimals, or "mm", 1 decimal)."""
        k, digits = (10.0, 1) if unit == "mm" else (1.0, 2)

        def length(x):
            return f"{k * x:.{digits}f} {unit}"
        if self.axis == "r":
            beyond = "" if self.beyond_cm is None else f" beyond the surface at r = {length(self.beyond_cm)}"
            return f"fitted maximum of the radial dose{beyond}, at r = {length(self.position_cm)}"
        return (f"fitted maximum of the central-axis depth dose (r ≤ {k * self.radius_cm:g} {unit}), "
                f"at z = {length(self.position_cm)}")

    def describe(self, unit: str = "cm") -> str:
        """One sentence for captions, CSV headers and reports; lengths in `unit` ("cm" or "mm")."""
        rel = f" (± {100 * self.sigma / self.dose:.2g} %)" if self.sigma == self.sigma and self.dose > 0 else ""
        return f"100 % = D_ref = {self.dose:.4g} Gy/particle{rel}, the {self.where(unit)}"

    def percent(self, dose):
        """`dose` (Gy/particle) in % of D_ref."""
        return 100.0 * dose / self.dose


def reference_dose(result, radius_cm: float = 1.0) -> Normalisation:
    """D_ref of a result (mcdose.results.Result); InputError when the result has no positive dose."""
    return curve_reference_dose(result.pdd(radius_cm))


def curve_reference_dose(curve) -> Normalisation:
    """D_ref of a result's central-axis curve (``Result.pdd``, a mcdose.results.DepthDose)."""
    from .depth_dose import peak_fit
    if not (curve.dose > 0).any():
        raise InputError("the result has no positive dose on the central axis; nothing to normalise to")
    use, beyond = slice(None), None
    surfaces = [i.depth_cm for i in (curve.interfaces or ()) if i.below not in NOT_PRESCRIBED]
    if curve.axis == "r" and surfaces:
        beyond = surfaces[-1]
        use = curve.position_cm > beyond
        if use.sum() < 5:
            raise InputError(f"the radial dose has fewer than 5 bins beyond the surface at r = {beyond:.2f} cm; "
                             "extend the mesh")
    batches = None if curve.batches is None else curve.batches[:, use]
    fit = peak_fit(curve.position_cm[use], curve.dose[use], curve.sigma[use], batches)
    return Normalisation(float(fit.dose.value), float(fit.dose.sigma), float(fit.position_cm.value), curve.axis,
                         curve.radius_cm, beyond)
