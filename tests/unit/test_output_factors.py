"""IOERT output factors (mcdose/output_factors.py): the axis column follows a bevelled applicator's
axis, factors are relative to the 10-cm flat applicator, runs are kept and read again."""
import math

import numpy as np
import pytest

from mcdose import cli
from mcdose import output_factors as of
from mcdose.config import load_config
from mcdose.errors import InputError
from mcdose.results import Grid, Result


def synthetic(bevel, dose_of_point, scale=1.0):
    """A Result on the column mesh of ``bevel`` whose dose is dose_of_point(y, z) at bin centres."""
    grid = Grid.from_scoring(load_config(of.config("liac12", 10.0, 6.0, bevel, 100)).scoring)
    y, z = (0.5 * (e[1:] + e[:-1]) for e in (grid.edges["y_edges"], grid.edges["z_edges"]))
    dose = scale * dose_of_point(y[:, None], z[None, :])[None, :, :]
    return Result(dose, np.full(dose.shape, 0.01), dose.copy(), grid, ("water",), {})


def pdd(depth):
    """A smooth electron-like depth dose: build-up to 1.5 cm, fall-off with R50 = 3 cm."""
    return (0.8 + 0.2 * np.minimum(depth, 1.5) / 1.5) / (1.0 + np.exp((depth - 3.0) / 0.3))


@pytest.mark.parametrize("bevel", [0.0, 30.0, 45.0])
def test_axis_column_follows_the_tilted_axis(bevel):
    t = math.tan(math.radians(bevel))
    # dose falling off sideways from the axis y = z tan b: only the bins on the axis carry the pdd
    result = synthetic(bevel, lambda y, z: pdd(z / math.cos(math.radians(bevel))) * np.exp(-((y - z * t) / 0.5) ** 2))
    depth, dose, sigma = of.axis_depth_dose(result, bevel)
    on_axis = pdd(depth)
    assert np.all(dose / on_axis > math.exp(-1.0)) and np.allclose(sigma, 0.01 * dose)
    assert of.table({(10.0, 0.0): synthetic(0.0, lambda y, z: pdd(z) + 0 * y)})[0].metrics.r50_cm.value == \
        pytest.approx(3.0, abs=0.02)


def test_factors_are_relative_to_the_10cm_flat_applicator():
    flat = lambda y, z: pdd(z) + 0 * y          # noqa: E731
    rows = of.table({(10.0, 0.0): synthetic(0.0, flat), (6.0, 0.0): synthetic(0.0, flat, scale=0.9)})
    by_size = {r.applicator: r for r in rows}
    assert by_size[10.0].factor == (1.0, 0.0)
    assert by_size[6.0].factor[0] == pytest.approx(0.9) and by_size[6.0].factor[1] > 0
    with pytest.raises(InputError, match="10-cm flat applicator is the reference"):
        of.table({(6.0, 0.0): synthetic(0.0, flat)})


def test_command_runs_keeps_and_reads_the_runs(tmp_path, capsys):
    args = ["output-factors", "liac12", "--energy", "10", "--applicators", "6", "--bevels", "0,30",
            "--histories", "2000", "--runs", str(tmp_path), "-o", str(tmp_path / "of.csv")]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert first.count("running") == 3                        # 6 cm flat and bevelled, and the 10-cm reference
    lines = (tmp_path / "of.csv").read_text().splitlines()
    assert lines[0] == of.CSV_HEADER and len(lines) == 4
    assert all(len(line.split(",")) == len(of.CSV_HEADER.split(",")) for line in lines)
    assert cli.main(args[:-2]) == 0
    again = capsys.readouterr().out
    assert again.count(": read") == 3 and "running" not in again


@pytest.mark.parametrize("args,message", [
    (["--energy", "11"], "nominal energy 11"),
    (["--energy", "10", "--applicators", "6.5"], "applicator diameter 6.5"),
    (["--energy", "10", "--bevels", "-5"], "--bevels"),
    (["--energy", "nan"], "--energy"),
])
def test_bad_options_are_one_line_errors(args, message, capsys):
    assert cli.main(["output-factors", "liac12", *args, "--histories", "100"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
