"""The checkpoint of a run: a folder ``OUT.h5.partials`` beside the output, one partial file per
finished batch (:mod:`mcdose.partials`), and a lock.

- Each batch file is written atomically (a fresh temporary made with O_EXCL in the folder, then
  renamed), so a crash leaves only whole, verifiable batches.
- The folder is created by the run (``mkdir``); a link, a file or a folder holding something
  other than mcdose's files at that name is refused, never followed or emptied.
- The lock (``fcntl.flock`` on ``lock`` in the folder, released by the kernel when the process
  dies, even on kill -9) makes a second run on the same output refuse clearly instead of mixing
  its batches with the first one's.
- Resuming reads every batch file back through :func:`mcdose.partials.read_partial`, which
  verifies it against the run (configuration digest, version, batch index, histories, checksum)
  or names the file and what is wrong.
"""
from __future__ import annotations

import fcntl
import os
import re
import stat
from pathlib import Path

import h5py

from .errors import InputError
from .outputs import atomic_write
from .partials import Partial, partial_name, read_partial, write_partial

SUFFIX = ".partials"
LOCK_NAME = "lock"
BATCH_FILE = re.compile(r"batch-\d{6}\.h5")
TEMPORARY = re.compile(r"\.batch-\d{6}\.h5\..*\.tmp")     # atomic_write's temporaries left by a crash


def checkpoint_folder(output: Path) -> Path:
    """The checkpoint folder of result file ``output``."""
    output = Path(output)
    return output.with_name(output.name + SUFFIX)


class Checkpoint:
    """The finished batches of one run on disk; use as a context manager (holds the lock)."""

    def __init__(self, output: Path):
        self.folder = checkpoint_folder(output)
        self._lock_fd = None

    # ------------------------------------------------------------------ opening
    def precheck(self, resume: bool, force: bool) -> None:
        """The refusals of :meth:`open`, before any work, creating and keeping nothing."""
        if not os.path.lexists(self.folder):
            if resume:
                raise InputError(f"--resume: nothing to resume, {str(self.folder)!r} does not exist "
                                 "(the run finished or never started); run without --resume")
            return
        self._check_folder()
        self._lock()
        self.close()
        n = len(self._batch_files())
        if n and not (resume or force):
            raise self._interrupted(n)

    def open(self, plan, resume: bool, force: bool) -> list:
        """Lock the folder (creating it) and return the verified partials to resume from.

        resume: continue an interrupted run (its folder must exist); force: discard the batches of
        an earlier run; neither: refuse when an earlier run left batches behind.
        """
        self.precheck(resume, force)
        try:
            os.mkdir(self.folder)
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(f"checkpoint folder {str(self.folder)!r} cannot be created ({exc.strerror})") from None
        self._check_folder()
        self._lock()
        batches = self._batch_files()
        if batches and resume:
            return [self._read(path, plan) for path in batches]
        if batches and not force:
            raise self._interrupted(len(batches))
        for path in batches:
            path.unlink()
        return []

    @staticmethod
    def _read(path: Path, plan) -> Partial:
        partial = read_partial(path, plan)
        if path.name != partial_name(partial.batch):
            raise InputError(f"checkpoint file {str(path)!r} holds batch {partial.batch}, not the batch its name "
                             "says; delete the folder to start again (or run with --force)")
        return partial

    def _interrupted(self, n: int) -> InputError:
        return InputError(f"{str(self.folder)!r} holds {n} finished batch(es) of an interrupted run: add --resume "
                          "to continue it, or --force to start again")

    def _check_folder(self) -> None:
        st = os.lstat(self.folder)
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(f"checkpoint folder {str(self.folder)!r} is a link or a file, not a folder mcdose made; "
                             "move it away or choose another output")
        for entry in os.scandir(self.folder):
            if entry.name == LOCK_NAME or BATCH_FILE.fullmatch(entry.name):
                continue
            if TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                continue
            raise InputError(f"checkpoint folder {str(self.folder)!r} holds {entry.name!r}, which mcdose did not "
                             "write; move it away or choose another output")

    def _lock(self) -> None:
        path = self.folder / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            raise InputError(f"checkpoint lock {str(path)!r} cannot be opened ({exc.strerror}); "
                             "move the folder away or choose another output") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError(f"another mcdose run is writing {str(self.folder)!r} (its lock is held); wait for it "
                             "to finish or choose another output") from None
        self._lock_fd = fd
        for tmp in self.folder.iterdir():                # whole batches only: drop a crashed run's temporaries
            if TEMPORARY.fullmatch(tmp.name):
                tmp.unlink(missing_ok=True)

    def _batch_files(self) -> list:
        return sorted(p for p in self.folder.iterdir() if BATCH_FILE.fullmatch(p.name))

    # ------------------------------------------------------------------ use
    def add(self, partial: Partial) -> None:
        """Write one finished batch atomically."""
        def write(tmp):
            with h5py.File(tmp, "w") as f:
                write_partial(f, partial)
        atomic_write(self.folder / partial_name(partial.batch), write)

    def remove(self) -> None:
        """Delete the folder (the run is complete): only the files mcdose wrote in it."""
        for path in self._batch_files():
            path.unlink()
        (self.folder / LOCK_NAME).unlink(missing_ok=True)
        self.close()
        try:
            self.folder.rmdir()
        except OSError:
            pass                                         # a file appeared that mcdose did not write: keep it

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
