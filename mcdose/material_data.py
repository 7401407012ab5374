"""Published material data: elemental mean excitation energies, standard atomic
weights and the material library (compositions by mass, densities in g/cm³,
mean excitation energies I in eV).

Sources
-------
- Elemental I values: ICRU Report 37 (1984), as used by NIST ESTAR/PSTAR and
  listed in NIST XCOM / Hubbell & Seltzer, NISTIR 5632, Table 1 (Z = 1-92;
  graphite 78.0 eV). Z = 93-99 are the ICRU 37 values as carried in the
  PENELOPE element table (Salvat, NEA/MBDAV/R(2019)1); they were not checked
  against ICRU 37 itself here.
- Compositions and I of water, air, PMMA, polystyrene, ICRU four-component
  soft tissue, PTFE, Mylar, Kapton and the elements: NIST "Compositions of
  Materials used in STAR Databases" (ICRU Report 37).
- ICRU-44 tissues: compositions of ICRU Report 44 (1989) with the densities
  and I values of Hubbell & Seltzer, NISTIR 5632, Table 2 (NIST XAAMDI).
- Conduction electrons per atom (density effect of conductors): Sternheimer,
  Berger & Seltzer, At. Data Nucl. Data Tables 30 (1984) 261, take the lowest
  chemical valence of the element. The values below apply that rule; they
  were not checked against the paper's table (tungsten is the least certain).
"""
from __future__ import annotations

import math

from .materials import Material, bragg_I, from_formula

__all__ = ["ELEMENT_I_EV", "ATOMIC_WEIGHT", "LIBRARY"]

_STAR = "NIST STAR compositions (ICRU Report 37)"
_ICRU44 = "ICRU Report 44 (1989) composition; density and I from Hubbell & Seltzer, NISTIR 5632, Table 2"

#: Mean excitation energy of element Z, eV (ICRU Report 37; see module docstring).
ELEMENT_I_EV: dict = dict(enumerate((
    19.2, 41.8, 40.0, 63.7, 76.0, 78.0, 82.0, 95.0, 115.0, 137.0,            # 1-10
    149.0, 156.0, 166.0, 173.0, 173.0, 180.0, 174.0, 188.0, 190.0, 191.0,    # 11-20
    216.0, 233.0, 245.0, 257.0, 272.0, 286.0, 297.0, 311.0, 322.0, 330.0,    # 21-30
    334.0, 350.0, 347.0, 348.0, 343.0, 352.0, 363.0, 366.0, 379.0, 393.0,    # 31-40
    417.0, 424.0, 428.0, 441.0, 449.0, 470.0, 470.0, 469.0, 488.0, 488.0,    # 41-50
    487.0, 485.0, 491.0, 482.0, 488.0, 491.0, 501.0, 523.0, 535.0, 546.0,    # 51-60
    560.0, 574.0, 580.0, 591.0, 614.0, 628.0, 650.0, 658.0, 674.0, 684.0,    # 61-70
    694.0, 705.0, 718.0, 727.0, 736.0, 746.0, 757.0, 790.0, 790.0, 800.0,    # 71-80
    810.0, 823.0, 823.0, 830.0, 825.0, 794.0, 827.0, 826.0, 841.0, 847.0,    # 81-90
    878.0, 890.0,                                                            # 91-92
    902.0, 921.0, 934.0, 939.0, 952.0, 966.0, 980.0,                         # 93-99 (see docstring)
), start=1))

#: Standard atomic weight of element Z, g/mol: IUPAC 2009 values (Wieser & Coplen,
#: Pure Appl. Chem. 83 (2011) 359); for elements without a stable isotope the
#: mass number of the longest-lived isotope. xraylib 4.3's AtomicWeight returns
#: 4-digit values (H 1.01, Al 26.97, Au 197.2) that shift <Z/A> by up to 0.2 %.
ATOMIC_WEIGHT: dict = dict(enumerate((
    1.00794, 4.002602, 6.941, 9.012182, 10.811, 12.0107, 14.0067, 15.9994, 18.9984032, 20.1797,
    22.98976928, 24.3050, 26.9815386, 28.0855, 30.973762, 32.065, 35.453, 39.948, 39.0983, 40.078,
    44.955912, 47.867, 50.9415, 51.9961, 54.938045, 55.845, 58.933195, 58.6934, 63.546, 65.38,
    69.723, 72.63, 74.92160, 78.96, 79.904, 83.798, 85.4678, 87.62, 88.90585, 91.224,
    92.90638, 95.96, 98.0, 101.07, 102.90550, 106.42, 107.8682, 112.411, 114.818, 118.710,
    121.760, 127.60, 126.90447, 131.293, 132.9054519, 137.327, 138.90547, 140.116, 140.90765, 144.242,
    145.0, 150.36, 151.964, 157.25, 158.92535, 162.500, 164.93032, 167.259, 168.93421, 173.054,
    174.9668, 178.49, 180.94788, 183.84, 186.207, 190.23, 192.217, 195.084, 196.966569, 200.59,
    204.3833, 207.2, 208.98040, 209.0, 210.0, 222.0, 223.0, 226.0, 227.0, 232.03806,
    231.03588, 238.02891, 237.0, 244.0, 243.0, 247.0, 247.0, 251.0, 252.0,
), start=1))


def _element(name, Z, density, aliases, conduction_electrons, description):
    """A pure element with its ICRU 37 I value."""
    return Material(name, density, (Z,), (1.0,), ELEMENT_I_EV[Z], _STAR, conduction_electrons,
                    description, aliases)


def _blend(parts):
    """Mixture by mass of materials, [(mass fraction, Material)] -> (Z, w, I_eV).

    I by Bragg additivity over the components (ICRU Report 37, eq. 4.5, with
    each component's own I), so measured compound I values are kept.
    """
    w: dict = {}
    num = den = 0.0
    for f, m in parts:
        for z, wz in zip(m.Z, m.mass_fractions):
            w[z] = w.get(z, 0.0) + f * wz
        za = f * m.z_over_a
        num += za * math.log(m.I_eV)
        den += za
    Z = tuple(sorted(w))
    return Z, tuple(w[z] for z in Z), math.exp(num / den)


_polystyrene = Material(
    "polystyrene", 1.06, (1, 6), (0.077418, 0.922582), 68.7, _STAR, 0.0,
    "Polystyrene (C8H8)n", ("ps",))

# PTW RW3 (manufacturer's data sheet): polystyrene + 2.1 % TiO2 by mass, 1.045 g/cm³.
_rw3_Z, _rw3_w, _rw3_I = _blend([(0.979, _polystyrene), (0.021, from_formula("TiO2", 4.23))])

# AISI 304 stainless steel, PNNL-15870 Rev. 1 (McConn et al., 2011), 8.00 g/cm³.
_ss304_Z = (6, 14, 15, 16, 24, 25, 26, 28)
_ss304_w = (0.000400, 0.005000, 0.000230, 0.000150, 0.190000, 0.010000, 0.701730, 0.092500)

_pei = from_formula("C37H24N2O6", 1.27)

LIBRARY: tuple = (
    Material("water", 1.0, (1, 8), (0.111894, 0.888106), 75.0, _STAR, 0.0,
             "Liquid water (H2O)", ("h2o", "water_liquid")),
    Material("air", 1.20479e-3, (6, 7, 8, 18), (0.000124, 0.755268, 0.231781, 0.012827), 85.7, _STAR, 0.0,
             "Dry air near sea level", ("air_dry",)),
    Material("pmma", 1.19, (1, 6, 8), (0.080538, 0.599848, 0.319614), 74.0, _STAR, 0.0,
             "Polymethyl methacrylate (C5H8O2)n", ("lucite", "perspex", "acrylic", "plexiglas")),
    _polystyrene,
    Material("solid_water", 1.045, _rw3_Z, _rw3_w, _rw3_I,
             "PTW RW3 data sheet (polystyrene + 2.1 % TiO2 by mass); polystyrene from " + _STAR
             + "; I by Bragg additivity of polystyrene (68.7 eV) and TiO2 (elemental Bragg)", 0.0,
             "Water-equivalent plastic, RW3-like", ("rw3",)),
    Material("soft_tissue_icru4", 1.0, (1, 6, 7, 8), (0.101172, 0.111000, 0.026000, 0.761828), 74.9, _STAR, 0.0,
             "Soft tissue, ICRU four-component", ("icru4_tissue",)),
    Material("soft_tissue", 1.06, (1, 6, 7, 8, 11, 15, 16, 17, 19),
             (0.102, 0.143, 0.034, 0.708, 0.002, 0.003, 0.003, 0.002, 0.003), 74.7, _ICRU44, 0.0,
             "Soft tissue, ICRU-44", ("tissue", "soft_tissue_icru44")),
    Material("skeletal_muscle", 1.05, (1, 6, 7, 8, 11, 15, 16, 17, 19),
             (0.102, 0.143, 0.034, 0.710, 0.001, 0.002, 0.003, 0.001, 0.004), 74.6, _ICRU44, 0.0,
             "Skeletal muscle, ICRU-44", ("muscle",)),
    Material("adipose", 0.95, (1, 6, 7, 8, 11, 16, 17),
             (0.114, 0.598, 0.007, 0.278, 0.001, 0.001, 0.001), 64.8, _ICRU44, 0.0,
             "Adipose tissue, ICRU-44", ("adipose_tissue", "fat")),
    Material("breast", 1.02, (1, 6, 7, 8, 11, 15, 16, 17),
             (0.106, 0.332, 0.030, 0.527, 0.001, 0.001, 0.002, 0.001), 70.3, _ICRU44, 0.0,
             "Breast (mammary gland) tissue, ICRU-44", ("breast_tissue", "mammary_gland")),
    Material("lung", 0.26, (1, 6, 7, 8, 11, 15, 16, 17, 19),
             (0.103, 0.105, 0.031, 0.749, 0.002, 0.002, 0.003, 0.003, 0.002), 75.2,
             _ICRU44 + " (NIST lists 1.05 g/cm3, deflated; 0.26 g/cm3 is ICRU-44 inflated lung)", 0.0,
             "Lung tissue, ICRU-44, inflated", ("lung_inflated",)),
    Material("cortical_bone", 1.92, (1, 6, 7, 8, 11, 12, 15, 16, 20),
             (0.034, 0.155, 0.042, 0.435, 0.001, 0.002, 0.103, 0.003, 0.225), 112.0, _ICRU44, 0.0,
             "Cortical bone, ICRU-44", ("bone",)),
    _element("aluminium", 13, 2.699, ("aluminum", "al"), 3.0, "Aluminium"),
    _element("copper", 29, 8.96, ("cu",), 1.0, "Copper"),
    _element("lead", 82, 11.35, ("pb",), 2.0, "Lead"),
    _element("tungsten", 74, 19.30, ("w",), 2.0, "Tungsten"),
    _element("gold", 79, 19.32, ("au",), 1.0, "Gold"),
    _element("beryllium", 4, 1.848, ("be",), 2.0, "Beryllium"),
    # Conductor, but not in Sternheimer et al. 1984: 1.975 = atom-fraction mean of
    # the lowest valences (Fe, Cr, Ni, Mn: 2; C, Si, P, S: 0).
    Material("stainless_steel", 8.0, _ss304_Z, _ss304_w, bragg_I(_ss304_Z, _ss304_w),
             "AISI 304, PNNL-15870 Rev. 1 (McConn et al. 2011); I by Bragg additivity (ICRU 37)", 1.975,
             "Stainless steel AISI 304", ("steel", "ss304", "aisi304")),
    Material("ptfe", 2.2, (6, 9), (0.240183, 0.759817), 99.1,
             _STAR + " (NISTIR 5632 Table 2 uses 2.25 g/cm3)", 0.0,
             "Polytetrafluoroethylene (C2F4)n", ("teflon",)),
    Material("polyetherimide", 1.27, _pei.Z, _pei.mass_fractions, _pei.I_eV,
             "Formula C37H24N2O6 (Ultem 1000), 1.27 g/cm3; I by Bragg additivity (ICRU 37)", 0.0,
             "Polyetherimide (C37H24N2O6)n", ("pei", "ultem")),
    # Exit windows of IOERT linacs. I = 233 eV (ICRU 37, as in NIST ESTAR); density 4.506 g/cm3
    # (CRC Handbook; NIST STAR uses 4.54). Conductor: lowest valence 2 (module docstring rule).
    Material("titanium", 4.506, (22,), (1.0,), ELEMENT_I_EV[22],
             _STAR + " (I); density 4.506 g/cm3 (CRC Handbook; NIST STAR lists 4.54)", 2.0,
             "Titanium", ("ti",)),
    # Monitor-chamber and window films.
    Material("mylar", 1.40, (1, 6, 8), (0.041959, 0.625017, 0.333025), 78.7, _STAR, 0.0,
             "Polyethylene terephthalate, Mylar (C10H8O4)n", ("pet", "polyethylene_terephthalate")),
    Material("kapton", 1.42, (1, 6, 7, 8), (0.026362, 0.691133, 0.073270, 0.209235), 79.6, _STAR, 0.0,
             "Kapton polyimide film (C22H10N2O5)n", ("polyimide",)),
)
