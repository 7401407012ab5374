"""Benchmark: cold build time of the physics tables of every library material, and cache-hit time.

Run: python -m benchmarks.physics_tables
Acceptance (issue 3): all library materials < 60 s together cold; a cached call < 0.5 s.
"""
import os
import tempfile
import time


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MCDOSE_CACHE_DIR"] = tmp
        from mcdose import materials
        from mcdose.physics import tables
        from mcdose.physics import material_tables as tables_module

        total = 0.0
        print(f"{'material':<20}{'cold build s':>14}")
        for name in materials.names():
            t0 = time.perf_counter()
            tables(name)
            dt = time.perf_counter() - t0
            total += dt
            print(f"{name:<20}{dt:>14.2f}")
        print(f"{'all materials':<20}{total:>14.2f}   (target < 60 s)")
        tables_module._MEMORY.clear()  # force the disk cache path
        t0 = time.perf_counter()
        tables("water")
        print(f"{'water, from cache':<20}{time.perf_counter() - t0:>14.3f}   (target < 0.5 s)")


if __name__ == "__main__":
    main()
