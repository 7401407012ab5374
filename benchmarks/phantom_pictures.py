"""Regenerate docs/phantoms/<name>.png: one ``mcdose plot --kind geometry`` picture per library phantom.

Run: ``python -m benchmarks.phantom_pictures`` from the repository root. The
voxel example is a synthetic 'CT' (water with a lung ellipsoid and a bone
block) written to a temporary .npy file.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from mcdose.config import validate
from mcdose.plotting import plot_geometry

OUT = Path(__file__).resolve().parent.parent / "docs" / "phantoms"
BEAM = {"type": "beam", "particle": "electron", "energy": 9.0, "shape": "circle", "radius": 2.5}
MESH = {"mesh": "cartesian", "x": {"min": -6.0, "max": 6.0, "step": 0.5}, "y": {"min": -6.0, "max": 6.0, "step": 0.5},
        "z": {"min": 0.0, "max": 6.0, "step": 0.1}}


def synthetic_ct(path: Path) -> None:
    """ids (40, 40, 50) at 0.4 x 0.4 x 0.2 cm: 0 water, 1 lung ellipsoid, 2 cortical bone block."""
    x = (np.arange(40) - 19.5) * 0.4
    z = (np.arange(50) + 0.5) * 0.2
    X, Y, Z = np.meshgrid(x, x, z, indexing="ij")
    ids = np.zeros(X.shape, np.int16)
    ids[(X / 4.5) ** 2 + (Y / 4.0) ** 2 + ((Z - 6.0) / 2.5) ** 2 < 1] = 1
    ids[(np.abs(X + 1.0) < 3) & (np.abs(Y) < 5) & (np.abs(Z - 2.5) < 0.6)] = 2
    np.save(path, ids)


def configs(tmp: Path) -> dict:
    synthetic_ct(tmp / "ct.npy")
    return {
        "water_box": {"phantom": {"type": "water_box", "size": [20.0, 20.0, 15.0]}},
        "cylinder": {"phantom": {"type": "cylinder", "material": "water", "radius": 15.0, "length": 10.0},
                     "scoring": {"mesh": "cylindrical", "r_edges": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 15.0],
                                 "z": {"min": 0.0, "max": 10.0, "step": 0.1}}},
        "slabs": {"phantom": {"type": "slabs", "size": [20.0, 20.0], "layers": [
            {"material": "water", "thickness": 1.5}, {"material": "lead", "thickness": 0.3},
            {"material": "water", "thickness": 8.0}]}},
        "breast_shield": {"phantom": {"type": "breast_shield", "size": [16.0, 16.0, 8.0], "tissue_thickness": 2.0,
                                      "shield_layers": [{"material": "pmma", "thickness": 0.7},
                                                        {"material": "copper", "thickness": 0.25}],
                                      "shield_diameter": 8.0}},
        "spherical_cavity": {"source": {"type": "point", "particle": "photon", "energy": 0.03,
                                        "position": [0.0, 0.0, 4.0]},
                             "phantom": {"type": "spherical_cavity", "size": [12.0, 12.0, 10.0],
                                         "applicator_diameter": 3.5, "wall": 0.2},
                             "scoring": {"mesh": "spherical", "r": {"min": 0.0, "max": 5.0, "step": 0.1},
                                         "center": [0.0, 0.0, 4.0]}},
        "voxels": {"phantom": {"type": "voxels", "file": str(tmp / "ct.npy"), "voxel_size": [0.4, 0.4, 0.2],
                               "voxel_materials": "water, lung, cortical_bone", "world": "air"}},
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in configs(Path(tmp)).items():
            spec = validate({"source": BEAM, "scoring": MESH, **cfg})
            print(plot_geometry(spec, OUT / f"{name}.png"))


if __name__ == "__main__":
    main()
