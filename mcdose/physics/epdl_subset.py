"""Build the EPDL97 subset mcdose ships as package data (a development script, not needed at run time).

    python -m mcdose.physics.epdl_subset [EPDL97.DAT] [-o mcdose/physics/data/epdl97_subset.npz]

EPDL97 (D. E. Cullen, J. H. Hubbell and L. Kissel, UCRL-50400 Vol. 6 Rev. 5, LLNL 1997; public domain) is
read here in its ENDL text format -- by default the copy distributed with PyMca5
(PyMca5/PyMcaData/EPDL97/EPDL97.DAT, V. A. Solé, ESRF), the only reason mcdose ever needed PyMca5, whose
dependency fisx has to be compiled on install. ENDL: each section is two header lines (Z·1000 + A in
columns 1-6; reaction C in columns 1-2, property I in 3-5 and subshell S in 6-8 of the second line), pairs
of 11-character numbers (energy in MeV, value) and an end line with "1" in column 72; numbers are written
without the "E" (1.5-3 = 1.5e-3).

Kept: the total (S = 0) integrated (I = 0) cross sections, barn/atom at every tabulated energy (MeV), of
photoionization (C = 73) and pair production in the nuclear (74) and electron (75) fields, Z = 1-100.
The file holds one float64 array (2, n) per (C, Z), named "C73_Z82", and "provenance" (text). Its
content checksum (:func:`content_sha256`, over the arrays in name order; independent of zip timestamps)
is :data:`mcdose.physics.epdl.SUBSET_SHA256`, checked on every load.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np

from ..errors import InputError

REACTIONS = (73, 74, 75)         # photoionization, pair (nuclear field), pair (electron field: triplet)
_INTEGRATED = 0
_NUMBER = re.compile(r"([+-]?\d*\.\d*)([+-]\d+)")


def pymca_epdl_path() -> Path:
    """EPDL97.DAT in an installed PyMca5 (located, not imported)."""
    spec = importlib.util.find_spec("PyMca5")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("building the EPDL97 subset needs EPDL97.DAT: give its path, or pip install PyMca5")
    path = Path(list(spec.submodule_search_locations)[0]) / "PyMcaData" / "EPDL97" / "EPDL97.DAT"
    if not path.is_file():
        raise InputError(f"EPDL97 data file not found at {path}: reinstall PyMca5 or give the path")
    return path


def endl_number(text: str) -> float:
    """An ENDL number, with or without the exponent letter."""
    m = _NUMBER.fullmatch(text.strip())
    return float(f"{m.group(1)}e{m.group(2)}") if m else float(text)


def parse_endl(text: str) -> dict:
    """{(C, Z): array (2, n) of energy MeV and barn/atom} of the kept sections (module docstring)."""
    lines = text.splitlines()
    out, i = {}, 0
    while i + 1 < len(lines):
        z = int(lines[i][0:6]) // 1000
        head = lines[i + 1]
        reaction = int(head[0:2])
        wanted = reaction in REACTIONS and int(head[2:5]) == _INTEGRATED and int(head[5:8]) == 0
        j = i + 2
        while not (len(lines[j]) > 71 and lines[j][71] == "1" and not lines[j][:60].strip()):
            j += 1
        if wanted:
            out[reaction, z] = np.array([(endl_number(s[0:11]), endl_number(s[11:22])) for s in lines[i + 2:j]]).T
        i = j + 1
    return out


def array_name(reaction: int, z: int) -> str:
    return f"C{reaction}_Z{z}"


def content_sha256(arrays: dict) -> str:
    """SHA-256 over (name, little-endian float64 bytes) of every cross-section array, in name order."""
    h = hashlib.sha256()
    for name in sorted(k for k in arrays if k.startswith("C")):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name], dtype="<f8").tobytes())
    return h.hexdigest()


def build(source: Path, output: Path) -> str:
    """Write the subset of `source` (EPDL97.DAT) to `output` (.npz); returns its content checksum."""
    raw = Path(source).read_bytes()
    sections = parse_endl(raw.decode("ascii"))
    missing = [(c, z) for c in REACTIONS for z in range(1, 101) if (c, z) not in sections and c != 75]
    if missing:
        raise InputError(f"{source}: sections missing from EPDL97: {missing[:5]}...")
    arrays = {array_name(c, z): a for (c, z), a in sorted(sections.items())}
    provenance = (f"EPDL97 (Cullen, Hubbell, Kissel, UCRL-50400 Vol. 6 Rev. 5, LLNL 1997; public domain): total "
                  f"integrated cross sections C = 73, 74, 75 for Z = 1-100, barn/atom vs MeV, extracted by "
                  f"mcdose.physics.epdl_subset from {Path(source).name} (sha256 {hashlib.sha256(raw).hexdigest()})")
    np.savez_compressed(output, provenance=np.array(provenance), **arrays)
    return content_sha256(arrays)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", nargs="?", help="EPDL97.DAT (default: PyMca5's copy)")
    p.add_argument("-o", "--output", default=str(Path(__file__).with_name("data") / "epdl97_subset.npz"))
    args = p.parse_args(argv)
    source = Path(args.source) if args.source else pymca_epdl_path()
    print(f"wrote {args.output}: content sha256 {build(source, Path(args.output))} "
          "(set mcdose.physics.epdl.SUBSET_SHA256 to it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
