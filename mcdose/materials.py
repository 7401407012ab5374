"""Material library: elemental composition (mass fractions), density (g/cm³),
mean excitation energy I (eV) and the source of those numbers.

Library entries live in :mod:`mcdose.material_data`; user materials are made
with :func:`from_formula` or :func:`from_mass_fractions`.

Mean excitation energy of a compound without a tabulated value follows the
Bragg additivity rule of ICRU Report 37 (1984), section 4.3:
ln I = sum_i (w_i Z_i/A_i) ln I_i / sum_i (w_i Z_i/A_i), with the I values of
atoms bound in condensed compounds recommended there (Seltzer & Berger,
Int. J. Appl. Radiat. Isot. 33 (1982) 1189): H 19.2, C 81.0, N 82.0, O 106.0,
F 112.0, Cl 180.0 eV, and 1.13 times the elemental value for other elements.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass, field

import xraylib

from .errors import InputError

__all__ = ["Material", "get", "names", "from_formula", "from_mass_fractions", "atomic_weight", "atomic_number"]


def atomic_weight(Z: int) -> float:
    """Standard atomic weight (g/mol) of element Z (IUPAC 2009; xraylib's are rounded to 4 digits)."""
    from .material_data import ATOMIC_WEIGHT
    return ATOMIC_WEIGHT[int(Z)]


def atomic_number(element) -> int:
    """Z of an element symbol ('Cu') or Z itself; InputError outside the physics data's Z = 1..99."""
    if isinstance(element, str):
        try:
            z = int(xraylib.SymbolToAtomicNumber(element))
        except ValueError:
            raise InputError(f"unknown chemical element {element!r}") from None
    elif isinstance(element, int) and not isinstance(element, bool):
        z = element
    else:
        raise InputError(f"element {element!r} is not allowed: must be a chemical symbol such as 'H'")
    if not 1 <= z <= 99:
        raise InputError(f"element {element!r} (Z = {z}) is not allowed: the physics data cover Z = 1..99")
    return z


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Attributes
    ----------
    name : str
        Library id (lower case) or user-given name.
    density : float
        Mass density, g/cm³.
    Z : tuple[int, ...]
        Atomic numbers of the constituent elements, ascending.
    mass_fractions : tuple[float, ...]
        Mass fraction of each element (sums to 1).
    I_eV : float
        Mean excitation energy, eV.
    source : str
        Where composition, density and I come from.
    conduction_electrons : float
        Conduction (free) electrons per atom, used by the Sternheimer
        density-effect model for conductors (0 for insulators).
    description : str
        One-line human description.
    aliases : tuple[str, ...]
        Other accepted ids.
    """

    name: str
    density: float
    Z: tuple
    mass_fractions: tuple
    I_eV: float
    source: str
    conduction_electrons: float = 0.0
    description: str = ""
    aliases: tuple = field(default=())

    def __post_init__(self):
        if not (self.density > 0 and math.isfinite(self.density)):
            raise InputError(f"material {self.name!r}: density {self.density!r} is not allowed: g/cm3, must be > 0")
        if len(self.Z) != len(self.mass_fractions) or not self.Z:
            raise InputError(f"material {self.name!r}: needs one mass fraction per element")
        if any(not (1 <= z <= 99) for z in self.Z):
            raise InputError(f"material {self.name!r}: atomic numbers must be 1..99, got {self.Z}")
        if not all(0 < w < math.inf for w in self.mass_fractions):
            raise InputError(f"material {self.name!r}: mass fractions must be finite and > 0, "
                             f"got {self.mass_fractions}")
        total = sum(self.mass_fractions)
        if abs(total - 1.0) > 1e-3:
            raise InputError(f"material {self.name!r}: mass fractions sum to {total:.6g}, must sum to 1")
        if not (1.0 <= self.I_eV <= 2000.0):
            raise InputError(f"material {self.name!r}: I {self.I_eV!r} eV is not allowed: must be in [1, 2000] eV")
        order = sorted(range(len(self.Z)), key=lambda i: self.Z[i])
        object.__setattr__(self, "Z", tuple(int(self.Z[i]) for i in order))
        object.__setattr__(self, "mass_fractions", tuple(float(self.mass_fractions[i]) / total for i in order))

    @property
    def A(self) -> tuple:
        """Atomic weights of the constituents, g/mol."""
        return tuple(atomic_weight(z) for z in self.Z)

    @property
    def electrons_per_gram(self) -> float:
        """Electron density per unit mass, N_A sum_i w_i Z_i / A_i (electrons/g)."""
        return 6.02214076e23 * self.z_over_a

    @property
    def z_over_a(self) -> float:
        """<Z/A> = sum_i w_i Z_i / A_i (mol/g)."""
        return sum(w * z / a for w, z, a in zip(self.mass_fractions, self.Z, self.A))

    def with_density(self, density: float) -> "Material":
        """The same composition and I at another density (g/cm³)."""
        return Material(self.name, float(density), self.Z, self.mass_fractions, self.I_eV, self.source,
                        self.conduction_electrons, self.description, self.aliases)

    def key(self) -> str:
        """Stable hash of everything the physics tables depend on."""
        parts = [f"{self.density:.9g}", f"{self.I_eV:.9g}", f"{self.conduction_electrons:.9g}"]
        parts += [f"{z}:{w:.9g}" for z, w in zip(self.Z, self.mass_fractions)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def composition_text(self) -> str:
        """Human-readable composition, e.g. 'H 0.111894, O 0.888106'."""
        return ", ".join(f"{xraylib.AtomicNumberToSymbol(z)} {w:.6f}" for z, w in zip(self.Z, self.mass_fractions))


def _library():
    from .material_data import LIBRARY
    return LIBRARY


def names() -> list:
    """Ids of the library materials, in library order."""
    return [m.name for m in _library()]


def get(name) -> Material:
    """Library material by id or alias (case-insensitive); a Material is returned as is."""
    if isinstance(name, Material):
        return name
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    for m in _library():
        if key == m.name or key in m.aliases:
            return m
    candidates = names() + [a for m in _library() for a in m.aliases]
    hint = difflib.get_close_matches(key, candidates, n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise InputError(f"unknown material {name!r}{extra}; `mcdose materials` lists them")


_TOKEN = re.compile(r"([A-Z][a-z]?)(\d+\.?\d*|\.\d+)?")
MAX_ATOMS = 1e6  # atoms of one element in a formula


def parse_formula(formula: str) -> dict:
    """Atom counts of a chemical formula without brackets, e.g. 'C5H8O2' -> {6: 5, 1: 8, 8: 2}."""
    text = formula.replace(" ", "")
    if not text or "".join(m.group(0) for m in _TOKEN.finditer(text)) != text:
        raise InputError(f"chemical formula {formula!r} is not allowed: use element symbols and counts, e.g. 'C5H8O2'")
    counts: dict = {}
    for sym, num in _TOKEN.findall(text):
        n = float(num) if num else 1.0
        if not 0 < n <= MAX_ATOMS:
            raise InputError(f"chemical formula {formula!r}: count {n:g} of {sym} is not allowed: must be > 0 "
                             f"and <= {MAX_ATOMS:g}")
        z = atomic_number(sym)
        counts[z] = counts.get(z, 0.0) + n
    return counts


# I values (eV) of atoms bound in condensed compounds, ICRU Report 37 section 4.3.
_BOUND_I_EV = {1: 19.2, 6: 81.0, 7: 82.0, 8: 106.0, 9: 112.0, 17: 180.0}


def bragg_I(Z, mass_fractions) -> float:
    """Mean excitation energy (eV) of a condensed compound by Bragg additivity (ICRU Report 37, eq. 4.5)."""
    from .material_data import ELEMENT_I_EV
    num = den = 0.0
    for z, w in zip(Z, mass_fractions):
        za = w * z / atomic_weight(z)
        num += za * math.log(_BOUND_I_EV.get(z, 1.13 * ELEMENT_I_EV[z]) if len(Z) > 1 else ELEMENT_I_EV[z])
        den += za
    return math.exp(num / den)


def from_mass_fractions(fractions: dict, density: float, I_eV: float | None = None,
                        name: str = "user", conduction_electrons: float = 0.0) -> Material:
    """User material from {element symbol or Z: mass fraction}; density in g/cm³; I in eV (Bragg rule if None)."""
    Z, w = [], []
    for k, v in fractions.items():
        Z.append(atomic_number(k))
        w.append(float(v))
    total = sum(w)
    if total <= 0:
        raise InputError(f"material {name}: mass fractions must be positive")
    w = [x / total for x in w] if abs(total - 1) <= 1e-3 else w
    I = float(I_eV) if I_eV is not None else bragg_I(Z, w)
    src = "user mass fractions" + ("" if I_eV is not None else "; I by Bragg additivity (ICRU 37)")
    return Material(name, float(density), tuple(Z), tuple(w), I, src, conduction_electrons)


def from_formula(formula: str, density: float, I_eV: float | None = None, name: str | None = None) -> Material:
    """User material from a chemical formula such as 'C5H8O2'; density in g/cm³; I in eV (Bragg rule if None)."""
    counts = parse_formula(formula)
    mass = {z: n * atomic_weight(z) for z, n in counts.items()}
    total = sum(mass.values())
    return from_mass_fractions({z: m / total for z, m in mass.items()}, density, I_eV, name or formula)
