"""Energy conservation of a run, from its fixed-point counters: exact checks (sigma 0)."""
from __future__ import annotations

from .table import check

ENERGY_RTOL = 1e-9              # counters are fixed point (2^-36 MeV units): exact up to rounding


def energy_checks(md: dict, energy_mev: float) -> list:
    """Emitted = E0, emitted = deposited + escaped + lost (MeV per source particle, result metadata `md`) and
    no lost particles; exact checks (fixed-point counters), sigma 0."""
    emitted, deposited = md["energy_emitted_MeV_per_particle"], md["energy_deposited_MeV_per_particle"]
    out = md["energy_escaped_MeV_per_particle"] + md["energy_lost_MeV_per_particle"]
    return [check("energy emitted = E0", emitted, energy_mev, "MeV", emitted / energy_mev - 1.0, 0.0, ENERGY_RTOL,
                  "relative"),
            check("energy balance", deposited + out, emitted, "MeV", (deposited + out) / emitted - 1.0, 0.0,
                  ENERGY_RTOL, "relative", "deposited + escaped + lost"),
            check("lost particles", md["lost_particles"], 0, "count", md["lost_particles"], 0.0, 0.0, "count")]
