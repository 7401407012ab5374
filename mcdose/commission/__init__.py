"""Beam-model commissioning: fit a machine's beam (mean energy, energy spread, angular spread) to measured
depth doses and profiles by superposition of precomputed dose kernels, write the commissioned machine file,
verify it with full runs and report. Entry point: :func:`.command.commission` (``mcdose commission``)."""
from .command import Commissioning, commission, summary

__all__ = ["Commissioning", "commission", "summary"]
