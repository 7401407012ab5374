"""Run every benchmark and print its table: ``python -m benchmarks`` (from the repository root).

physics_tables: cold build and cache time of the material tables; cold_start: the seconds a first run spends
compiling the kernels (empty Numba cache) against a warm start; nist_extended: the tables against 706
NIST values (more materials and energies); navigation and mesh_navigation:
geometry and scoring-mesh steps per second; x50: photon transport speed and efficiency 1/(s^2 T)
against EGSnrc on 1 and 2 threads; egsnrc_electrons: the same for the 9 MeV electron beam E9
and the IOERT applicator APP9 (2e5 histories each) with their comparison tables against EGSnrc
and APP9's time to 1 %; electron_profile: steps per history by cause and the cost of each part of a step
(E9, APP9); spin: what the spin correction changes (E6/E9 ranges and time, backscatter coefficients, the
lead-slab enhancement); ioert_machines: R50 of every library machine and energy, the soft-dock air
gap against the inverse square law and the shielding disks beside published figures; phsp_read: IAEA
phase-space reading speed and memory on a 10^7-particle file; intrabeam: the 50 kV source model (analog
and split), the bare probe in water and the 4-cm sphere's treatment time; cluster: 1 vs 2 Dask workers and
the scheduling overhead per batch. (report_screenshot needs Chromium and runs alone.)
The problems and criteria of the EGSnrc, X50 and NIST comparisons live in mcdose/bench/, whose `mcdose bench`
runs every reference case with PASS/FAIL (this runner measures speed).
"""
from . import (cluster, cold_start, egsnrc_electrons, electron_profile, intrabeam, ioert_machines, mesh_navigation,
               navigation, nist_extended, physics_tables, phsp_read, spin, x50)

for name, run in (("physics tables", physics_tables.main), ("cold start", lambda: cold_start.main([])),
                  ("NIST extended set", nist_extended.main),
                  ("geometry navigation", navigation.main),
                  ("scoring-mesh navigation", mesh_navigation.main), ("X50 photon transport", x50.main),
                  ("E9 electron transport", lambda: egsnrc_electrons.main([])),
                  ("APP9 IOERT applicator", lambda: egsnrc_electrons.main(["--cases", "APP9"])),
                  ("electron history profile", lambda: electron_profile.main([])),
                  ("spin in elastic scattering", lambda: spin.main([])),
                  ("IOERT machines", lambda: ioert_machines.main([])),
                  ("IAEA phase-space reading", lambda: phsp_read.main([])),
                  ("INTRABEAM source and applicator", lambda: intrabeam.main([])),
                  ("Dask workers and scheduling overhead", lambda: cluster.main([]))):
    print(f"\n== {name} ==")
    run()
