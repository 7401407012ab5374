"""`mcdose bench`: the rows and their tolerances, the tables (text, Markdown, HTML), the exit status and the
refusals. The cases that transport particles are stood in for by a fake case; the NIST case (no transport) runs
for real. The physics of each case is verified by its own test in tests/physics."""
from pathlib import Path

import numpy as np
import pytest

from mcdose import cli
from mcdose.bench import cases
from mcdose.bench.command import select
from mcdose.bench.report import Bench, markdown
from mcdose.bench.table import COLUMNS, Check, Comparison, check, fmt, rows
from mcdose.bench.timing import Timing
from mcdose.errors import InputError


def test_tolerance_is_allowance_plus_k_sigma():
    at = check("R50", 2.5, 2.3, "cm", 0.2, 0.02, 0.1, "cm")            # 0.1 + 3 x 0.02 = 0.16 < 0.2
    assert at.tolerance == pytest.approx(0.16) and not at.passes
    assert check("R50", 2.45, 2.3, "cm", 0.15, 0.02, 0.1, "cm").passes
    fixed = check("r^2 D", 1.019, 1.0, "", 0.019, 0.5, 0.02, "relative", k=0.0)   # a fixed budget: sigma not added
    assert fixed.tolerance == 0.02 and fixed.passes
    assert not check("r^2 D", 1.021, 1.0, "", 0.021, 0.5, 0.02, "relative", k=0.0).passes


def test_cells_show_units_and_the_tolerance_parts():
    c = check("absolute Dmax", 4.2e-12, 4.1e-12, "Gy/e", 0.0244, 0.004, 0.02, "relative", "dmax 2.05 cm")
    assert rows([Comparison("E9", (c,))]) == [("E9", "absolute Dmax (dmax 2.05 cm)", "4.2e-12 Gy/e", "4.1e-12 Gy/e",
                                               "+2.44 %", "3.2 % (2 % + 3σ)", "PASS")]
    assert fmt(0.1234, "cm", signed=True) == "+0.123 cm" and fmt(float("nan"), "cm") == "-"


def _fake(passes: bool, timed: bool = True):
    """A stand-in case: one row that passes or fails, a timing and a figure."""
    def run(histories, seed, threads, folder):
        row = check("dose", 1.0 + (0.0 if passes else 0.5), 1.0, "", 0.0 if passes else 0.5, 0.01, 0.02, "relative")
        z = np.linspace(0.05, 4.95, 50)
        figure = cases.Figure("fake depth dose", "depth z (cm)", "dose", (("mcdose", z, np.exp(-z), 0.01 * np.exp(-z)),
                                                                           ("EGSnrc", z, np.exp(-z), None)))
        timing = Timing(threads, histories, 2.0, 0.01) if timed else None
        return cases.Outcome(Comparison("FAKE", (row,)), timing, 100.0 if timed else None, figure)
    return run


@pytest.fixture
def fake_case(monkeypatch):
    def install(passes: bool):
        monkeypatch.setitem(cases.CASES, "FAKE", (_fake(passes), 1000, 500))
    return install


def test_a_failing_row_makes_the_exit_status_1(fake_case, capsys):
    fake_case(passes=False)
    assert cli.main(["bench", "--cases", "fake", "--threads", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 PASS, 1 FAIL" in out
    fake_case(passes=True)
    assert cli.main(["bench", "--cases", "FAKE", "--quick", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 PASS, 0 FAIL" in out and "500" in out          # the quick level's histories
    assert "mcdose bench --quick --cases FAKE" in out


def test_nist_case_from_the_command_line(capsys):
    assert cli.main(["bench", "--cases", "nist"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("NIST ")]
    assert len(lines) == 8 and all(line.rstrip().endswith("PASS") for line in lines)
    assert "nist_extended.csv" in out and "8 PASS, 0 FAIL" in out and "Efficiency" not in out


def test_markdown_and_html_files_hold_the_rows(fake_case, tmp_path, capsys):
    fake_case(passes=True)
    md, page = tmp_path / "bench.md", tmp_path / "bench.html"
    argv = ["bench", "--cases", "fake", "nist", "--threads", "2", "--markdown", str(md), "--html", str(page)]
    assert cli.main(argv) == 0
    capsys.readouterr()
    text = md.read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| " + " | ".join(COLUMNS) + " |"
    body = [tuple(cell.strip() for cell in line[2:-2].split(" | ")) for line in table[1:9 + 1]]
    assert [r[0] for r in body] == ["NIST"] * 8 + ["FAKE"]      # CASES order, every row
    assert all(r[-1] == "PASS" for r in body)
    assert "| FAKE | 1,000 | 2 | 2.0 | 500 | 1.00 % | 2,500 /s | 100 /s | 25× |" in text      # efficiency per core
    assert "9 PASS, 0 FAIL" in text
    content = page.read_text(encoding="utf-8")
    assert content.startswith("<!DOCTYPE html>") and content.count("data:image/png;base64,") == 1
    assert content.count("<td class='PASS'>PASS</td>") == 9 and "total_sp, nist_extended.csv" in content


def test_markdown_round_trip():
    """The Markdown table gives back every cell of every row, '|' escaped."""
    c = check("a | b", 1.0, 1.0, "", 0.0, 0.0, 0.01, "relative")
    bench = Bench((cases.Outcome(Comparison("X", (c, c))),), "mcdose bench", 1, 1.0, "cpu", "0")
    lines = [line for line in markdown(bench).splitlines() if line.startswith("| ")][1:]
    parsed = [tuple(cell.strip().replace("\\|", "|") for cell in line[2:-2].split(" | ")) for line in lines]
    assert parsed == rows(bench.comparisons)


def test_unknown_case_is_one_clear_error(capsys):
    allowed = "one of E6, E9, APP9, X50, NIST, Fano, phsp"
    with pytest.raises(InputError, match=rf"^--cases: 'E12' is not allowed: {allowed}$"):
        select(["E9", "E12"])
    assert cli.main(["bench", "--cases", "E12"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcdose: error: --cases: 'E12'") and err.count("\n") == 1


def test_outputs_are_checked_before_any_case_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(cases.CASES, "FAKE", (lambda *a: pytest.fail("a case ran"), 1, 1))
    existing = tmp_path / "bench.md"
    existing.write_text("keep")
    assert cli.main(["bench", "--cases", "fake", "--markdown", str(existing)]) == 2
    assert "--force" in capsys.readouterr().err and existing.read_text() == "keep"
    assert cli.main(["bench", "--cases", "fake", "--html", str(tmp_path / "bench.txt")]) == 2
    assert "suffix" in capsys.readouterr().err
    readme = Path(__file__).resolve().parents[2] / "benchmarks" / "reference" / "README.md"
    assert cli.main(["bench", "--cases", "fake", "--markdown", str(readme), "--force"]) == 2
    assert "is an input of this run (the reference data)" in capsys.readouterr().err


def test_check_fields_of_a_many_point_row():
    """A row over many points keeps `passes` for all of them, whatever the point shown."""
    c = Check("on-axis dose", 0.5, 0.49, "of Dmax", 0.01, 0.001, 0.02, "of Dmax", False, "worst z 1.0 cm; 1/30 fail")
    assert c.tolerance == pytest.approx(0.023) and not c.passes
