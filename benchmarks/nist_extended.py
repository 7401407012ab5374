"""Benchmark: mcdose physics tables against the extended NIST reference set.

Run: python -m benchmarks.nist_extended   (or python benchmarks/nist_extended.py)
Reference: nist_extended.csv of mcdose.reference (benchmarks/reference/; provenance in its README.md); the
tolerances and the evaluation: mcdose.bench.nist (issue 3; total_sp uses (0.5 % S_col + 5 % S_rad) / S_tot
with mcdose's own split). Prints one line per reference value and exits with status 1 if any value fails.
"""
import sys


def main() -> int:
    from mcdose.bench.nist import evaluate, load
    from mcdose.physics import tables

    rows = load("nist_extended.csv")
    cache: dict = {}
    n_fail = 0
    print(f"{'material':<18}{'quantity':<16}{'E MeV':>8}{'ref':>12}{'ours':>12}{'dev %':>9}{'tol %':>7}  result")
    for r in rows:
        name = r["material"]
        if name not in cache:
            cache[name] = tables(name)
        ours, tol = evaluate(cache[name], r["quantity"], r["energy_MeV"])
        dev = ours / r["value"] - 1.0
        ok = abs(dev) <= tol
        n_fail += not ok
        print(f"{name:<18}{r['quantity']:<16}{r['energy_MeV']:>8.4g}{r['value']:>12.4e}{ours:>12.4e}"
              f"{100 * dev:>+9.2f}{100 * tol:>7.2f}  {'PASS' if ok else 'FAIL'}")
    print(f"{len(rows) - n_fail} PASS, {n_fail} FAIL of {len(rows)}")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
