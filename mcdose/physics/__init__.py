"""Physics data: per-material photon and electron interaction tables (the "pegs" step).

``mcdose.physics.tables(material)`` returns a :class:`MaterialTables` with
``stopping_power(E, kind)``, ``csda_range(E)``, ``mu_over_rho(E, process=None)``
and ``mu_en_over_rho(E)``; E in MeV.
"""
from .material_tables import MaterialTables, tables

__all__ = ["tables", "MaterialTables"]
