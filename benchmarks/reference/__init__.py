"""The reference data of mcdose's benchmarks (EGSnrc curves, NIST tables; provenance in README.md), shipped in
the wheel as the package ``mcdose.reference``: read them with ``importlib.resources.files("mcdose.reference")``."""
