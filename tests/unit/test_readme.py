"""The README's configuration reference and quick start stay in step with the code."""
import re
from pathlib import Path

import pytest

from mcdose.schema import PARTS, PHASE_SPACE_SCORERS, SCORERS, SECTIONS
from mcdose.shields import SCHEMA as SHIELDS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_schema_key_is_documented():
    for section, schema in SECTIONS.items():
        for key in schema.fields:
            assert re.search(rf"`{section}\.{key}`|`{key}`|, `{key}`", README), f"{section}.{key} missing from README"


@pytest.mark.parametrize("table,schema", [("parts", PARTS), ("scorers", SCORERS), ("shields", SHIELDS),
                                          ("scoring.phase_space", PHASE_SPACE_SCORERS)])
def test_every_array_of_tables_key_is_documented(table, schema):
    for key in schema.fields:
        assert re.search(rf"`{table}\.{key}`|, `{key}`", README), f"{table}.{key} missing from README"


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    start = README.index("## Quick start")
    block = README[start:README.index("\n## ", start + 1)]
    commands = re.findall(r"```bash\n(.+?)\n```", block)
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
