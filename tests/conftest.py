"""Shared fixtures: a minimal valid configuration dict."""
import copy

import pytest

BASE = {
    "run": {"histories": 1000, "batches": 10, "seed": 7},
    "source": {"type": "beam", "particle": "electron", "energy": 9.0, "shape": "circle", "radius": 5.0},
    "phantom": {"type": "box", "material": "water", "size": [30.0, 30.0, 20.0]},
    "scoring": {"mesh": "cartesian", "x_edges": [-15.0, -1.0, 1.0, 15.0], "y_edges": [-15.0, -1.0, 1.0, 15.0],
                "z": {"min": 0.0, "max": 12.0, "step": 0.1}},
}


@pytest.fixture
def base_config():
    """A fresh deep copy of a valid configuration dict."""
    return copy.deepcopy(BASE)
