"""kill -9 of a run mid-way, then --resume: only the missing batches run and the dose is bit-identical to an
uninterrupted run (every finished batch was durable the moment it was done)."""
import os
import signal
import subprocess
import sys
import time

import numpy as np

from mcdose.api import run
from mcdose.checkpoint import BATCH_FILE
from mcdose.results import load

CONFIG = """
[run]
histories = 480_000
batches = 24
seed = 11
threads = 1

[source]
type = "point"
particle = "photon"
energy = 0.05
position = [0.0, 0.0, 5.0]

[phantom]
type = "box"
material = "water"
size = [10.0, 10.0, 10.0]

[scoring]
mesh = "spherical"
r = { min = 0.0, max = 4.0, step = 0.2 }
center = [0.0, 0.0, 5.0]
"""


def _batch_files(folder):
    return [p for p in folder.iterdir() if BATCH_FILE.fullmatch(p.name)] if folder.is_dir() else []


def test_kill_9_then_resume_is_bit_identical(tmp_path):
    config = tmp_path / "point.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out.h5"
    cmd = [sys.executable, "-m", "mcdose", "run", str(config), "-o", str(out)]
    proc = subprocess.Popen(cmd + ["--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folder = tmp_path / "out.h5.partials"
    deadline = time.monotonic() + 240
    while len(_batch_files(folder)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done = len(_batch_files(folder))
    assert 3 <= done < 24 and not out.exists()
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert f"resuming: {done} of 24 batches verified" in resumed.stderr
    assert not folder.exists()
    again = load(out)
    whole = run(config)                               # in process, never interrupted
    for name in ("dose", "uncertainty", "energy_deposited", "batch_dose"):
        np.testing.assert_array_equal(getattr(again, name), getattr(whole, name))
