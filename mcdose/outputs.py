"""Output files: checked before any work, written atomically, never over an input.

:func:`check_output` refuses, with an :class:`~mcdose.errors.InputError` naming the path and what
is wrong, every output that cannot or must not be written, before the (costly) work starts.
:func:`atomic_write` is the one writer of result, checkpoint, CSV, HTML and figure files: a
temporary file in the target folder, renamed over the target once complete, so a crash never
leaves a half-written file that looks complete.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["check_output", "atomic_write", "config_inputs"]

NAME_MAX_FALLBACK = 255
TEMP_STEM = 40          # characters of the target's name kept in its temporary's name


def check_output(path, force: bool, inputs=(), suffixes=None) -> Path:
    """The output ``path`` as a Path, or InputError if it cannot or must not be written.

    Refused: a missing parent folder, a parent that is not a folder or not writable (probed by
    creating and deleting a file there, which also holds for root), a name longer than the
    folder's NAME_MAX, a directory, link or special file at ``path``, an existing file unless
    ``force``, the same file as one of ``inputs`` (pairs ``(what, path)``, e.g.
    ``("the configuration", "c.toml")``) and, where ``suffixes`` (e.g. ``(".png", ".pdf")``) is
    given, any other suffix (compared in lower case).
    """
    path = Path(path)
    shown = repr(str(path))
    folder = path.parent
    try:
        is_dir = stat.S_ISDIR(os.stat(folder).st_mode)
    except FileNotFoundError:
        raise InputError(f"output {shown}: folder {str(folder)!r} does not exist") from None
    except OSError as exc:
        raise InputError(f"output {shown}: folder {str(folder)!r} cannot be used ({exc.strerror})") from None
    if not is_dir:
        raise InputError(f"output {shown}: {str(folder)!r} is not a folder")
    size, limit = len(os.fsencode(path.name)), _name_max(folder)
    if size > limit:
        raise InputError(f"output {shown}: file name too long ({size} bytes; the folder allows at most {limit})")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"output {shown} cannot be used ({exc.strerror})") from None
    if mode is not None and stat.S_ISLNK(mode):
        raise InputError(f"output {shown} is a symbolic link; mcdose never writes through a link: remove it or "
                         "choose another output file")
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"output {shown} is a directory; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError(f"output {shown} is not a regular file (a device, pipe or socket); choose another output file")
    for what, source in inputs:
        if _same_file(path, Path(source)):
            raise InputError(f"output {shown} is an input of this run ({what}); choose another output file")
    if mode is not None and not force:
        raise InputError(f"output {shown} exists; use --force (force=True) to overwrite")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(f"output {shown}: suffix {path.suffix or '(none)'!r} is not allowed: one of "
                         f"{', '.join(sorted(suffixes))}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mcdose-probe-", dir=folder)
    except OSError as exc:
        raise InputError(f"output {shown}: folder {str(folder)!r} is not writable ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def atomic_write(path, write) -> Path:
    """Write ``path`` atomically: ``write(tmp)`` fills a fresh temporary file ``tmp`` (a str,
    made with O_EXCL in the target folder, so never through a link), which is then flushed to
    disk, given the mode a new file gets under the umask (0o666 & ~umask) and renamed over
    ``path``. The temporary is removed on any failure; an OSError becomes an InputError naming
    ``path``. Returns ``path`` as a Path.
    """
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:TEMP_STEM]}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"output {str(path)!r} cannot be written ({exc.strerror or exc})") from exc
        raise
    return path


def config_inputs(config, overrides=None) -> list:
    """``(what, path)`` of the files a run of ``config`` (TOML path, dict or Spec; ``overrides`` as
    ``{"section.key": value}``) reads: the configuration file and, where given,
    source.spectrum_file, source.file (a phase space: header and data), phantom.file and
    phantom.density_file (relative to the configuration's
    folder). Unreadable configurations give the file alone: loading them reports what is wrong.
    """
    from .config import Spec, tomllib
    if isinstance(config, Spec):
        raw, source = config.to_dict(), config.source_path
    elif isinstance(config, dict):
        raw, source = config, None
    else:
        source = config
        try:
            raw = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            raw = {}
    values = {f"{s}.{k}": v for s, section in raw.items() if isinstance(section, dict) for k, v in section.items()}
    values.update(overrides or {})
    base = Path(source).parent if source else Path()
    found = [("the configuration", Path(source))] if source else []
    found += [(key, base / values[key]) for key in ("source.spectrum_file", "source.file", "phantom.file",
                                                    "phantom.density_file")
              if isinstance(values.get(key), (str, os.PathLike))]
    if isinstance(values.get("source.file"), (str, os.PathLike)):       # a phase space: its data beside it
        found.append(("source.file", (base / values["source.file"]).with_suffix(".IAEAphsp")))
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:                    # one does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX_FALLBACK


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for every thread)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0)
    os.umask(old)
    return old
