"""Analysis of dose distributions: depth-dose and profile metrics, isodoses, measured data, gamma, comparisons,
beam quality (aluminium HVL)."""
from .beam_quality import aluminium_hvl, effective_energy
from .compare import Check, Comparison, CurveComparison, Tolerances, compare
from .curves import Interface
from .depth_dose import Estimate, Line, PDDMetrics, PeakFit, depth_dose_metrics, pdd_metrics, peak_fit
from .gamma import GammaResult, gamma_index, parse_criteria
from .isodose import DosePlane, Isodose, dose_plane, dose_scale, isodose_lines
from .normalisation import Normalisation, reference_dose
from .measured import MeasuredCurve, normalised, read_csv, read_mcc, read_measured, read_w2cad
from .profiles import ProfileMetrics, profile_metrics

__all__ = ["Estimate", "Line", "PeakFit", "PDDMetrics", "pdd_metrics", "peak_fit", "depth_dose_metrics", "Interface",
           "Normalisation", "reference_dose", "ProfileMetrics", "profile_metrics",
           "GammaResult", "gamma_index", "parse_criteria", "DosePlane", "Isodose", "dose_plane", "dose_scale",
           "isodose_lines", "MeasuredCurve", "normalised", "read_csv", "read_mcc", "read_measured", "read_w2cad",
           "Check", "Comparison", "CurveComparison", "Tolerances", "compare", "aluminium_hvl", "effective_energy"]
