"""Where the dbt project is, and the environment dbt runs with."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_NAME = "sales_kpis"


def project_dir() -> Path:
    """The dbt project: $SALES_KPIS_PROJECT_DIR, else the repository this package sits in."""
    configured = os.environ.get("SALES_KPIS_PROJECT_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path(__file__).resolve().parents[2], Path.cwd()]
    for candidate in candidates:
        if (candidate / "dbt_project.yml").is_file():
            return candidate.resolve()
    raise FileNotFoundError(
        "cannot find the sales_kpis dbt project (dbt_project.yml); set SALES_KPIS_PROJECT_DIR"
    )


def default_raw_dir() -> Path:
    return Path(os.environ.get("SALES_KPIS_RAW_DIR") or project_dir() / "data" / "raw")


def default_database() -> Path:
    return Path(os.environ.get("SALES_KPIS_DUCKDB_PATH") or project_dir() / "warehouse" / "sales_kpis.duckdb")
