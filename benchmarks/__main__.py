"""Run every benchmark and print its table: ``python -m benchmarks`` (from the repository root).

physics_tables: cold build and cache time of the material tables; navigation and mesh_navigation:
geometry and scoring-mesh steps per second; x50: photon transport speed and efficiency 1/(s^2 T)
against EGSnrc on 1 and 2 threads.
"""
from . import mesh_navigation, navigation, physics_tables, x50

for name, module in (("physics tables", physics_tables), ("geometry navigation", navigation),
                     ("scoring-mesh navigation", mesh_navigation), ("X50 photon transport", x50)):
    print(f"\n== {name} ==")
    module.main()
