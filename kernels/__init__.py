"""Numba kernels of mcdose (importable as mcdose.kernels only): arrays and scalars in, arrays out."""
