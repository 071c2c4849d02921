"""The package holds what users run: the runtime never depends on the development tools."""

from __future__ import annotations

import ast
from pathlib import Path

import sales_kpis

PACKAGE = Path(sales_kpis.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_cli_reaches_the_development_tools():
    """`sales-kpis bench` is the one door from the runtime into sales_kpis.devtools."""
    reaching = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if "devtools" not in path.relative_to(PACKAGE).parts
        and any(name == "sales_kpis.devtools" or name.startswith("sales_kpis.devtools.")
                for name in imported_modules(path))
    )
    assert reaching == ["cli.py"]


def test_the_package_ships_no_test_fixtures():
    """The CRM-shaped renditions of generated data are test fixtures: they live in tests/."""
    assert not (PACKAGE / "renditions.py").exists()
    assert (Path(__file__).with_name("renditions.py")).is_file()
    for path in PACKAGE.rglob("*.py"):
        assert "renditions" not in imported_modules(path), path
