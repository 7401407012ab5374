"""Issue 19 item 2: DOSXYZnrc .3ddose write/read and .egsphant read (mcdose.egs_files)."""
import gzip
import os

import numpy as np
import pytest

from mcdose.egs_files import DOSE_FORMAT, MEDIUM_KEYS, Phantom, read_3ddose, read_egsphant, write_3ddose
from mcdose.errors import InputError
from mcdose.results import Grid, Result

# A hand-made 2 x 3 x 2 .3ddose, wrapped as DOSXYZnrc wraps (5 numbers a line) and then some (ragged lines,
# tabs, a blank line, Fortran exponents). Dose of voxel (i, j, k) = (1 + i + 2 j + 6 k) * 1e-12 Gy per
# particle, uncertainty = 0.01 * (1 + i + 2 j + 6 k): the file lists them x fastest, then y, then z.
DOSE_3D = """  2  3  2
 -1.0 0.0 1.0
 -1.5 -0.5 0.5 1.5
 0.0 0.5
 1.5
1.0000E-12 2.0000E-12 3.0000E-12 4.0000E-12 5.0000E-12
6.0000E-12 7.0000E-12 8.0000E-12\t9.0000E-12 1.0000E-11
1.1000E-11
  1.2000D-11

0.01 0.02 0.03 0.04 0.05 0.06 0.07
0.08 0.09 0.1 0.11 0.12
"""

# A hand-made egsphant: 2 media, 3 x 2 x 2 voxels, blank line between z slices.
EGSPHANT = """ 2
AIR521ICRU
H2O521ICRU
  0.25  0.25
  3  2  2
 -1.5 -0.5 0.5 1.5
 0.0 1.0 2.0
 -2.0 0.0 2.0
121
212

222
112

0.0012 1.0 0.0012
1.0 0.0012 1.0

1.0 1.0 1.0
0.0012 0.0012 1.01

"""


def _cartesian_result(shape=(3, 4, 5), seed=1) -> Result:
    rng = np.random.default_rng(seed)
    nx, ny, nz = shape
    grid = Grid("cartesian", {"x_edges": np.linspace(-1.3, 1.7, nx + 1) / 3.0,
                              "y_edges": np.cumsum(rng.uniform(0.1, 1.0, ny + 1)) - 2.0,
                              "z_edges": np.linspace(0.0, 10.0, nz + 1) ** 1.1})
    dose = rng.lognormal(-27.0, 2.0, shape)
    dose[0, 0, 0] = 0.0
    unc = rng.uniform(0.0, 0.5, shape)
    unc[0, 0, 0] = 0.0
    return Result(dose, unc, dose * 6.2e9, grid, ("water",), {"seed": 3})


def _printed(values):
    """Values after printing with the writer's format."""
    return np.array([float(DOSE_FORMAT % v) for v in np.ravel(values)]).reshape(np.shape(values))


# ------------------------------------------------------------------------------------------------------ 3ddose
def test_round_trip_identical_to_printed_precision(tmp_path):
    result = _cartesian_result()
    out = write_3ddose(result, tmp_path / "r.3ddose")
    back = read_3ddose(out)
    assert back.grid.kind == "cartesian"
    for name in ("x_edges", "y_edges", "z_edges"):
        np.testing.assert_allclose(back.grid.edges[name], result.grid.edges[name], rtol=0, atol=1e-12)
        assert np.array_equal(back.grid.edges[name], result.grid.edges[name])   # repr: bit-exact
    assert np.array_equal(back.dose, _printed(result.dose))
    assert np.array_equal(back.uncertainty, _printed(result.uncertainty))
    np.testing.assert_allclose(back.dose, result.dose, rtol=5e-7, atol=0)
    assert np.all(back.energy_deposited == 0) and back.metadata == {"source_format": "3ddose"}
    # written as DOSXYZnrc: counts on line 1, at most 5 numbers a line, x fastest
    lines = out.read_text().splitlines()
    assert lines[0].split() == ["3", "4", "5"]
    assert max(len(line.split()) for line in lines) == 5
    tokens = out.read_text().split()
    first_dose = 3 + 4 + 5 + 6
    assert float(tokens[first_dose + 1]) == float(DOSE_FORMAT % result.dose[1, 0, 0])
    assert float(tokens[first_dose + 3]) == float(DOSE_FORMAT % result.dose[0, 1, 0])
    assert float(tokens[first_dose + 12]) == float(DOSE_FORMAT % result.dose[0, 0, 1])


def test_round_trip_gzip_and_a_written_file_again(tmp_path):
    result = _cartesian_result((2, 1, 7), seed=4)
    back = read_3ddose(write_3ddose(result, tmp_path / "r.3ddose.gz"))
    assert (tmp_path / "r.3ddose.gz").read_bytes()[:2] == b"\x1f\x8b"
    again = read_3ddose(write_3ddose(back, tmp_path / "again.3ddose"))
    assert np.array_equal(again.dose, back.dose) and np.array_equal(again.uncertainty, back.uncertainty)


def test_hand_made_3ddose_value_by_value(tmp_path):
    path = tmp_path / "hand.3ddose"
    path.write_text(DOSE_3D)
    r = read_3ddose(path)
    assert r.dose.shape == (2, 3, 2)
    assert list(r.grid.edges["x_edges"]) == [-1.0, 0.0, 1.0]
    assert list(r.grid.edges["y_edges"]) == [-1.5, -0.5, 0.5, 1.5]
    assert list(r.grid.edges["z_edges"]) == [0.0, 0.5, 1.5]
    for i in range(2):
        for j in range(3):
            for k in range(2):
                n = 1 + i + 2 * j + 6 * k
                assert r.dose[i, j, k] == pytest.approx(n * 1e-12, rel=1e-12), (i, j, k)
                assert r.uncertainty[i, j, k] == pytest.approx(0.01 * n, rel=1e-12), (i, j, k)
    # Fortran's E format drops the 'E' of three-digit exponents: 1.2000-101 is 1.2e-101
    path.write_text(DOSE_3D.replace("1.0000E-12", "1.0000-101"))
    assert read_3ddose(path).dose[0, 0, 0] == pytest.approx(1e-101, rel=1e-12)


def _damaged(tmp_path, text, name="bad.3ddose"):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_3ddose(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_damaged_3ddose_refused(tmp_path):
    tokens = DOSE_3D.split()
    assert "truncated" in _damaged(tmp_path, " ".join(tokens[:-1]))
    assert "inside the doses" in _damaged(tmp_path, " ".join(tokens[:20]))
    assert "more values" in _damaged(tmp_path, DOSE_3D + "0.5\n")
    assert "'end'" in _damaged(tmp_path, DOSE_3D.replace("0.12", "end"))
    assert "not finite" in _damaged(tmp_path, DOSE_3D.replace("7.0000E-12", "NaN"))
    assert "not finite" in _damaged(tmp_path, DOSE_3D.replace("0.05", "inf"))
    assert "negative" in _damaged(tmp_path, DOSE_3D.replace("0.05", "-0.05"))
    msg = _damaged(tmp_path, DOSE_3D.replace("-1.5 -0.5 0.5 1.5", "-1.5 0.5 -0.5 1.5"))
    assert "y boundaries" in msg and "strictly increasing" in msg
    assert "voxel count nx" in _damaged(tmp_path, DOSE_3D.replace("  2  3  2", "  0  3  2"))
    assert "not an integer" in _damaged(tmp_path, DOSE_3D.replace("  2  3  2", "  2.5  3  2"))
    # counts that do not match the data
    assert "expects" in _damaged(tmp_path, DOSE_3D.replace("  2  3  2", "  2  3  3"))
    assert "empty" in _damaged(tmp_path, "\n\n")
    assert "ASCII" in _damaged(tmp_path, "2 3 2 \u00b5")
    path = tmp_path / "trunc.3ddose.gz"
    path.write_bytes(gzip.compress(DOSE_3D.encode())[:-12])
    with pytest.raises(InputError, match="gzip"):
        read_3ddose(path)
    with pytest.raises(InputError, match="not found"):
        read_3ddose(tmp_path / "missing.3ddose")
    with pytest.raises(InputError, match="folder"):
        read_3ddose(tmp_path)


def test_non_cartesian_result_refused(tmp_path):
    grid = Grid("cylindrical", {"r_edges": [0.0, 1.0], "z_edges": [0.0, 1.0, 2.0]})
    result = Result(np.ones((1, 2)), np.zeros((1, 2)), np.ones((1, 2)), grid)
    with pytest.raises(InputError, match="cylindrical.*rtdose.*Cartesian mesh"):
        write_3ddose(result, tmp_path / "c.3ddose")
    grid = Grid("spherical", {"r_edges": [0.0, 1.0, 2.0]})
    with pytest.raises(InputError, match="spherical"):
        write_3ddose(Result(np.ones(2), np.zeros(2), np.ones(2), grid), tmp_path / "s.3ddose")
    assert not list(tmp_path.iterdir())


def test_output_over_input_link_or_existing_refused(tmp_path):
    source = tmp_path / "hand.3ddose"
    source.write_text(DOSE_3D)
    result = read_3ddose(source)
    with pytest.raises(InputError, match="input"):
        write_3ddose(result, source, force=True, inputs=[("the input .3ddose", source)])
    with pytest.raises(InputError, match="exists"):
        write_3ddose(result, source)
    link = tmp_path / "link.3ddose"
    os.symlink(source, link)
    with pytest.raises(InputError, match="link"):
        write_3ddose(result, link, force=True)
    assert source.read_text() == DOSE_3D
    write_3ddose(result, source, force=True)             # allowed when asked and not an input
    assert np.array_equal(read_3ddose(source).dose, result.dose)


# ---------------------------------------------------------------------------------------------------- egsphant
def test_hand_made_egsphant(tmp_path):
    path = tmp_path / "p.egsphant"
    path.write_text(EGSPHANT)
    p = read_egsphant(path)
    assert isinstance(p, Phantom)
    assert p.media == ("AIR521ICRU", "H2O521ICRU")
    assert list(p.estepe) == [0.25, 0.25]
    assert p.shape == (3, 2, 2)
    assert list(p.x_edges) == [-1.5, -0.5, 0.5, 1.5]
    assert list(p.y_edges) == [0.0, 1.0, 2.0]
    assert list(p.z_edges) == [-2.0, 0.0, 2.0]
    # rows are x (i) along a line, y (j) line by line, z (k) block by block; key '1' -> 0
    keys = {0: ["121", "212"], 1: ["222", "112"]}
    dens = {0: [[0.0012, 1.0, 0.0012], [1.0, 0.0012, 1.0]], 1: [[1.0, 1.0, 1.0], [0.0012, 0.0012, 1.01]]}
    for k in range(2):
        for j in range(2):
            for i in range(3):
                assert p.medium[i, j, k] == int(keys[k][j][i]) - 1, (i, j, k)
                assert p.density[i, j, k] == dens[k][j][i], (i, j, k)
    assert p.grid.shape == (3, 2, 2)
    path.write_bytes(EGSPHANT.replace("\n", "\r\n").encode())          # DOS line ends
    crlf = read_egsphant(path)
    assert crlf.media == p.media and np.array_equal(crlf.medium, p.medium)
    assert np.array_equal(crlf.density, p.density)
    gz = tmp_path / "p.egsphant.gz"
    gz.write_bytes(gzip.compress(EGSPHANT.encode()))
    assert np.array_equal(read_egsphant(gz).medium, p.medium)


def test_egsphant_many_media_keys(tmp_path):
    n = 12                                            # keys '1'..'9', 'A', 'B', 'C'
    text = (f"{n}\n" + "".join(f"M{m}\n" for m in range(n)) + " ".join(["1.0"] * n) + "\n"
            f"{n} 1 1\n" + " ".join(str(float(v)) for v in range(n + 1)) + "\n0 1\n0 1\n"
            + MEDIUM_KEYS[:n] + "\n" + " ".join(["2.5"] * n) + "\n")
    path = tmp_path / "m.egsphant"
    path.write_text(text)
    assert list(read_egsphant(path).medium[:, 0, 0]) == list(range(n))


def _damaged_phantom(tmp_path, text):
    path = tmp_path / "bad.egsphant"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_egsphant(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_damaged_egsphant_refused(tmp_path):
    msg = _damaged_phantom(tmp_path, EGSPHANT.replace("212\n", "232\n"))
    assert "'3'" in msg and "line 10, column 2" in msg and "2 media" in msg
    assert "medium key 'x'" in _damaged_phantom(tmp_path, EGSPHANT.replace("222\n", "2x2\n"))
    assert "'0'" in _damaged_phantom(tmp_path, EGSPHANT.replace("222\n", "202\n"))
    assert "4 characters" in _damaged_phantom(tmp_path, EGSPHANT.replace("222\n", "2222\n"))
    assert "expects nx = 3" in _damaged_phantom(tmp_path, EGSPHANT.replace("222\n", "22\n"))
    truncated = EGSPHANT.rstrip().rsplit(" ", 1)[0]
    assert "inside the densities" in _damaged_phantom(tmp_path, truncated)
    assert "more values" in _damaged_phantom(tmp_path, EGSPHANT + "1.0\n")
    assert "'x' is not a number" in _damaged_phantom(tmp_path, EGSPHANT.replace("1.01", "x"))
    assert "not finite" in _damaged_phantom(tmp_path, EGSPHANT.replace("1.01", "nan"))
    assert "not > 0" in _damaged_phantom(tmp_path, EGSPHANT.replace("1.01", "0.0"))
    assert "not > 0" in _damaged_phantom(tmp_path, EGSPHANT.replace("1.01", "-1.0"))
    msg = _damaged_phantom(tmp_path, EGSPHANT.replace(" -2.0 0.0 2.0", " -2.0 2.0 0.0"))
    assert "z boundaries" in msg and "strictly increasing" in msg
    assert "ESTEPE" in _damaged_phantom(tmp_path, EGSPHANT.replace("  0.25  0.25", "  0.25  0.25 0.25"))
    assert "number of media" in _damaged_phantom(tmp_path, EGSPHANT.replace(" 2\nAIR", " two\nAIR"))
    assert "number of media" in _damaged_phantom(tmp_path, EGSPHANT.replace(" 2\nAIR", " 99\nAIR"))
    assert "before the name of medium" in _damaged_phantom(tmp_path, " 2\nAIR521ICRU\n")
    assert "medium row" in _damaged_phantom(tmp_path, EGSPHANT.split("121")[0] + "121\n")
    # voxel counts that do not match the rows
    assert "expects nx = 3" in _damaged_phantom(tmp_path, EGSPHANT.replace("  3  2  2", "  3  2  3"))
    assert "value 4 (-2.0)" in _damaged_phantom(tmp_path, EGSPHANT.replace("  3  2  2", "  3  3  2"))
    assert "more value(s)" in _damaged_phantom(tmp_path, EGSPHANT.replace(" 0.0 1.0 2.0", " 0.0 1.0 2.0 3.0"))
    assert "empty" in _damaged_phantom(tmp_path, "")
