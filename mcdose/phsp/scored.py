"""The IAEA phase-space files of a run's [[scoring.phase_space]] planes, written as batches merge.

:class:`~mcdose.runner.Merger` hands over each batch's records in batch order (whatever order the batches
finished in), so a file's particles are in (batch, history, crossing) order and the same bits for any
thread count, worker count or merge order. Per record: the kind, the kinetic energy at the crossing
(negative sign: the first particle of a history, IAEA(NDS)-0484), position (cm; z a header constant for
a plane z = const), direction, weight and the incremental history number (histories since the previous
particle of this file, the EGS/PENELOPE convention: type 1 extra long). $ORIG_HISTORIES is every history
merged, those that sent nothing through the plane included. Files are written atomically when the run
ends (:class:`~mcdose.phsp.PhaseSpaceWriter`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..results import PHASE_SPACE_COLUMNS

COLUMN = {name: i - 1 for i, name in enumerate(PHASE_SPACE_COLUMNS)}    # a partial's records lack "batch"


def paths(tables, folder: Path) -> list:
    """(header, data) paths of the files of validated [[scoring.phase_space]] tables, relative to ``folder``."""
    from . import paths as _paths
    return [_paths(Path(folder) / t["file"]) for t in tables]


class ScoredFiles:
    """Writers of the files of ``tables`` (validated [[scoring.phase_space]]), whose records are those of
    scorer ``first + i`` of the problem; ``folder``: where their names are relative to; ``overwrite``:
    replace existing files (--force)."""

    def __init__(self, tables, first: int, folder: Path, overwrite: bool, title: str):
        from . import PhaseSpaceWriter
        self.first = first
        self.writers, self.previous = [], []
        try:
            for (header, _), t in zip(paths(tables, folder), tables):
                self.writers.append(PhaseSpaceWriter(header, title=title, constant_z=t.get("z"), incremental=True,
                                                     overwrite=overwrite))
                self.previous.append(-1)             # run history of the file's last particle
        except BaseException:
            self.abort()
            raise

    def add(self, first_history: int, records: np.ndarray) -> None:
        """Append one batch's records of every file (rows as a partial's phase_space, by history then
        crossing); ``first_history``: the batch's first history in the run."""
        scorer = records[:, COLUMN["scorer"]]
        for i, writer in enumerate(self.writers):
            rows = records[scorer == self.first + i]
            if not len(rows):
                continue
            history = first_history + rows[:, COLUMN["history"]].astype(np.int64)
            before = np.concatenate([[self.previous[i]], history[:-1]])
            new = history != before
            incremental = np.where(new, history - before, 0)
            self.previous[i] = int(history[-1])
            c = {k: rows[:, COLUMN[k]] for k in ("x", "y", "z", "u", "v", "w", "energy", "weight", "kind")}
            writer.write(c["kind"].astype(np.int8), c["x"], c["y"], c["z"], c["u"], c["v"], c["w"], c["energy"],
                         c["weight"], new, incremental)

    def close(self, histories: int) -> None:
        """Finish every file: ``histories`` original histories (all merged ones)."""
        for writer in self.writers:
            writer.close(orig_histories=int(histories))

    def abort(self) -> None:
        """Remove what was written (the temporaries); nothing is left half-written."""
        for writer in self.writers:
            writer.abort()
