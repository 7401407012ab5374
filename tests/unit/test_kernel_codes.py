"""The kernels import nothing from the mcdose library; the codes and constants they share with it are
defined once, in kernels/codes.py."""
import ast
import importlib
from pathlib import Path

import pytest

from mcdose.kernels import codes

ROOT = Path(__file__).resolve().parents[2]
KERNELS = sorted((ROOT / "kernels").glob("*.py"))


def _imported_modules(tree):
    """(level, module) of every import statement: level 0 absolute, 1 from ., 2 from .., ..."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((0, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


@pytest.mark.parametrize("path", KERNELS, ids=lambda p: p.name)
def test_kernel_module_imports_nothing_from_mcdose(path):
    importlib.import_module("mcdose.kernels" + ("" if path.stem == "__init__" else f".{path.stem}"))
    for level, module in _imported_modules(ast.parse(path.read_text(), str(path))):
        assert level <= 1, f"{path.name} imports from {'.' * level}{module}"
        assert level == 1 or module.split(".")[0] != "mcdose", f"{path.name} imports {module}"


def _numeric(value):
    """Whether an assigned value can be a code or constant: numbers, or an expression (not, e.g., strings)."""
    try:
        value = ast.literal_eval(value)
    except ValueError:
        return True
    return all(isinstance(v, (int, float)) for v in (value if isinstance(value, tuple) else (value,)))


def test_every_code_is_defined_only_in_kernels_codes():
    names = {name for name in vars(codes) if name.isupper()}
    sources = [p for p in KERNELS if p.name != "codes.py"]
    sources += [*(ROOT / "mcdose").rglob("*.py"), *(ROOT / "phantoms").glob("*.py")]
    for path in sources:
        for node in ast.parse(path.read_text(), str(path)).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _numeric(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                again = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)} & names
                assert not again, f"{path.relative_to(ROOT)}:{node.lineno} defines {again} again"
