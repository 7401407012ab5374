"""The mcdose phantom library (importable as mcdose.phantoms)."""
