"""Analysis of dose distributions: depth-dose beam-quality metrics and lateral-profile metrics."""
from .depth_dose import Estimate, PDDMetrics, pdd_metrics
from .profiles import ProfileMetrics, profile_metrics

__all__ = ["Estimate", "PDDMetrics", "pdd_metrics", "ProfileMetrics", "profile_metrics"]
