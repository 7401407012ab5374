"""Measured-data parsers on small files written by the tests, following the formats' public descriptions."""
import numpy as np
import pytest

from mcdose.analysis.measured import normalised, read_csv, read_mcc, read_measured, read_w2cad
from mcdose.errors import InputError

MCC = """BEGIN_SCAN_DATA
FORMAT=MEPHYSTO mc2
FILE_CREATION_DATE=01-Jan-2025 10:00:00
\tBEGIN_SCAN  1
\t\tTASK_NAME=tba Scans
\t\tMODALITY=E
\t\tENERGY=9.00
\t\tSCAN_CURVETYPE=PDD
\t\tSCAN_OFFAXIS_INPLANE=0.00
\t\tBEGIN_DATA
\t\t\t0.00\t80.00E+000
\t\t\t5.00\t90.00E+000
\t\t\t10.00\t100.00E+000
\t\t\t15.00\t95.00E+000
\t\t\t20.00\t60.00E+000
\t\t\t25.00\t20.00E+000
\t\tEND_DATA
\tEND_SCAN  1
\tBEGIN_SCAN  2
\t\tSCAN_CURVETYPE=CROSSPLANE_PROFILE
\t\tSCAN_DEPTH=15.00
\t\tBEGIN_DATA
\t\t\t-20.00\t5.0\t100.0
\t\t\t-10.00\t50.0\t100.0
\t\t\t0.00\t100.0\t100.0
\t\t\t10.00\t50.0\t100.0
\t\t\t20.00\t5.0\t100.0
\t\tEND_DATA
\tEND_SCAN  2
END_SCAN_DATA
"""

W2CAD = """$NUMS 002
$STOM
# Measurement number 1
%VERSION 02
%BMTY ELE
%TYPE OPD
%AXIS Z
%PNTS 5
<+0.0 +0.0 +0.0 +82.0>
<+0.0 +0.0 +10.0 +100.0>
<+0.0 +0.0 +20.0 +70.0>
<+0.0 +0.0 +30.0 +10.0>
<+0.0 +0.0 +40.0 +2.0>
$ENOM
$STOM
%TYPE OPP
%AXIS Y
%DPTH 20
<+0.0 -20.0 +20.0 +4.0>
<+0.0 -10.0 +20.0 +48.0>
<+0.0 +0.0 +20.0 +100.0>
<+0.0 +10.0 +20.0 +52.0>
<+0.0 +20.0 +20.0 +6.0>
$ENOM
$ENDF
"""


def test_mcc(tmp_path):
    path = tmp_path / "scans.mcc"
    path.write_text(MCC)
    pdd, prof = read_mcc(path)
    assert pdd.axis == "z" and pdd.is_depth_dose and pdd.depth_cm is None
    np.testing.assert_allclose(pdd.position_cm, [0, 0.5, 1.0, 1.5, 2.0, 2.5])
    np.testing.assert_allclose(pdd.dose, [80, 90, 100, 95, 60, 20])
    assert prof.axis == "x" and prof.depth_cm == pytest.approx(1.5)
    np.testing.assert_allclose(prof.position_cm, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(prof.dose, [5, 50, 100, 50, 5])  # third column (reference) ignored
    assert "scan 2" in prof.label


def test_w2cad(tmp_path):
    path = tmp_path / "beam.asc"
    path.write_text(W2CAD)
    pdd, prof = read_measured(path)
    np.testing.assert_allclose(pdd.position_cm, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(pdd.dose, [82, 100, 70, 10, 2])
    assert prof.axis == "y" and prof.depth_cm == pytest.approx(2.0)
    np.testing.assert_allclose(prof.position_cm, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(prof.dose, [4, 48, 100, 52, 6])


@pytest.mark.parametrize("header, unit, scale", [("depth_mm,dose", None, 0.1), ("depth_cm,dose", None, 1.0),
                                                 ("depth,dose", "mm", 0.1)])
def test_csv_units(tmp_path, header, unit, scale):
    path = tmp_path / "pdd.csv"
    path.write_text(f"# a comment\n{header}\n" + "".join(f"{z},{d}\n" for z, d in
                                                          [(0, 80), (10, 100), (20, 70), (30, 10), (40, 2)]))
    c = read_csv(path, unit=unit)
    assert c.axis == "z" and c.sigma is None
    np.testing.assert_allclose(c.position_cm, np.array([0, 10, 20, 30, 40]) * scale)


def test_csv_profile_depth_comment_and_sigma(tmp_path):
    path = tmp_path / "prof.csv"
    path.write_text("# depth_mm = 12\ny_mm,dose,sigma\n" + "".join(f"{x},{d},0.5\n" for x, d in
                                                                 [(20, 5), (10, 50), (0, 100), (-10, 50), (-20, 5)]))
    c = read_measured(path)
    assert c[0].axis == "y" and c[0].depth_cm == pytest.approx(1.2)
    np.testing.assert_allclose(c[0].position_cm, [-2, -1, 0, 1, 2])  # sorted
    np.testing.assert_allclose(c[0].sigma, 0.5)


def test_normalisation():
    from mcdose.analysis.measured import MeasuredCurve
    c = MeasuredCurve("z", np.array([0.0, 1, 2, 3, 4]), np.array([80.0, 100, 70, 10, 2]))
    np.testing.assert_allclose(normalised(c, "dmax").dose, [0.8, 1, 0.7, 0.1, 0.02])
    np.testing.assert_allclose(normalised(c, 2.5).dose, np.array([80, 100, 70, 10, 2]) / 40.0)
    assert normalised(c, "none") is c
    with pytest.raises(InputError, match="outside"):
        normalised(c, 9.0)


@pytest.mark.parametrize("name, text, match", [
    ("a.csv", "depth,dose\n0,1\n1,2\n2,3\n3,2\n4,1\n", "unit"),
    ("a.csv", "foo_mm,dose\n0,1\n", "first column"),
    ("a.csv", "x_mm,dose\n0,1\n1,2\n2,3\n3,2\n4,1\n", "depth"),
    ("a.csv", "depth_mm,dose\n0,1\n1,x\n", "non-numeric"),
    ("a.mcc", "nothing here\n", "BEGIN_SCAN"),
    ("a.mcc", MCC.replace("=PDD", "=WEIRD"), "SCAN_CURVETYPE"),
    ("a.asc", "$STOM\n%TYPE OPP\n%AXIS Z\n<0 0 0 1>\n$ENOM\n", "not supported"),
    ("a.asc", "junk\n", "STOM"),
    ("a.dat", "x", "unknown format"),
])
def test_bad_files(tmp_path, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_measured(path)
