"""The reference benchmarks that ``mcdose bench`` runs (EGSnrc curves, NIST tables, the Fano test, the IOERT
applicator and a phase-space re-run), their problems and acceptance criteria, shared by the tests and
benchmarks/. The reference data are the package ``mcdose.reference`` (benchmarks/reference/ in the source tree)."""
from importlib.resources import files


def reference_text(name: str) -> str:
    """The text of reference file `name` (e.g. "E9.csv") shipped in mcdose.reference."""
    return (files("mcdose.reference") / name).read_text(encoding="utf-8")
