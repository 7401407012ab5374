"""Build a transport problem from a validated :class:`~mcdose.config.Spec`.

Everything Python-side is resolved here once -- geometry, scoring mesh and
voxel masses, per-material photon data, source -- and handed to the kernels as
arrays; :meth:`PhotonProblem.transport_batch` runs one batch and returns its
tally (the unit of work of :mod:`mcdose.runner`).
"""
from __future__ import annotations

from pathlib import Path

import numba
import numpy as np

from . import phantoms
from .errors import InputError
from .kernels import photon_transport as kt
from .mesh import mesh_arrays, voxel_masses
from .photon_data import build_photon_data
from .results import Grid
from .runner import BatchTally
from .sources import source_arrays

CHUNKS_PER_THREAD = 8   # load balance only: results do not depend on the chunking


def build_problem(spec) -> "PhotonProblem":
    """The transport problem of a configuration (clear InputError for what cannot be run)."""
    if spec.source.particle != "photon":
        raise InputError(f"source.particle: {spec.source.particle!r} is not available yet: this version "
                         "transports photons (electron/positron transport is the next milestone)")
    base = Path(spec.source_path).parent if spec.source_path else None
    geometry = phantoms.build(spec.phantom, material=spec.material, source=spec.source, base_dir=base)
    phantoms.check_source(geometry, spec.source)
    return PhotonProblem(geometry, Grid.from_scoring(spec.scoring), spec.material, spec.source,
                         spec.physics.photon_cutoff, spec.scoring.estimator, spec.physics.woodcock)


def _segment_capacity(mesh) -> int:
    """Most mesh bins one straight flight can cross (+ margin): the trace_mesh buffer size."""
    n0, n1, n2 = (int(n) for n in mesh.shape)
    return {0: n0 + n1 + n2, 1: 2 * n0 + n1, 2: 2 * n0}[mesh.kind] + 8


class PhotonProblem:
    """Photon transport with local deposition of charged secondaries (kerma approximation).

    geometry: :class:`~mcdose.geometry.Geometry`; grid: scoring :class:`~mcdose.results.Grid`;
    material: name -> Material; source: a validated [source] section; photon_cutoff (MeV);
    estimator: "analog" or "tracklength"; woodcock: delta tracking in a voxel lattice (analog only).
    """

    def __init__(self, geometry, grid, material, source, photon_cutoff: float, estimator: str,
                 woodcock: bool = True):
        self.geo = geometry.compile()
        self.material_names = list(geometry.materials)
        self.grid = grid
        self.mesh = mesh_arrays(grid)
        self.masses = voxel_masses(grid, self.geo)
        self.pdata = build_photon_data([material(name) for name in self.material_names])
        self.source = source_arrays(source)
        self.cutoff = photon_cutoff
        self.analog = estimator == "analog"
        self.woodcock = bool(woodcock)
        lattice = self.geo.lat_material
        self.lattice_materials = np.unique(lattice[lattice >= 0]).astype(np.int64)
        self.n_bins = int(np.prod(grid.shape))
        self.segments = _segment_capacity(self.mesh)
        # what the transport does with charged secondaries (recorded in the result file)
        self.electrons = "deposited locally (kerma approximation)"

    def transport_batch(self, seed: int, batch: int, n_histories: int, threads: int = 0) -> BatchTally:
        """Run one batch on ``threads`` Numba threads (0 = all); same result for any thread count."""
        n_threads = threads if threads > 0 else numba.config.NUMBA_NUM_THREADS
        numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
        rows = numba.get_num_threads()
        tally = np.zeros((rows, self.n_bins), dtype=np.int64)
        counters = np.zeros((rows, kt.N_COUNTERS), dtype=np.int64)
        n_chunks = max(1, min(n_histories, rows * CHUNKS_PER_THREAD))
        kt.run_photon_batch(self.geo, self.mesh, self.pdata, self.source, seed, batch, 0, n_histories, n_chunks,
                            self.cutoff, self.analog, self.woodcock, self.lattice_materials, self.segments,
                            tally, counters)
        total = counters.sum(axis=0)
        q = kt.QUANTUM
        return BatchTally(tally.sum(axis=0) * q, {
            "emitted": total[kt.EMITTED] * q,
            "deposited": total[kt.DEPOSITED] * q,
            "escaped": total[kt.ESCAPED] * q,
            "lost": total[kt.LOST_ENERGY] * q,
            "lost_particles": float(total[kt.LOST_COUNT]),
        })
