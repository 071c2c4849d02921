"""The project's definitions, read from its own files (no dbt run, no manifest).

A KPI is defined once, in a dbt doc block (``{% docs name %}...{% enddocs %}``
in a Markdown file under the project's ``docs-paths``); a model's yml
describes the model and its columns, most column descriptions being
``{{ doc('name') }}``. This module reads the same files dbt reads, so the
export's About sheet and the dashboard's footnotes say what ``dbt docs``
says:

- doc blocks from the ``docs-paths`` of ``dbt_project.yml`` (dbt's default
  when unset: every resource path: models, seeds, snapshots, analyses,
  macros, tests, functions);
- every model yml under ``model-paths``: the model's description and each
  column's, with ``{{ doc('x') }}`` replaced by the block's text, and each
  column's ``meta`` (top-level and under ``config``, merged as dbt does).

A rate a mart publishes names its numerator and denominator columns in its
column meta (``meta: {numerator: <column>, denominator: <column>}``):
:meth:`Definitions.rate` reads them, so a reader re-aggregates the rate from
the published columns without writing its formula again.

Each column has a unit (:data:`UNITS`), what a reader formats it by: its meta
``unit`` where the yml declares one, else the one its declared type settles
(:func:`unit_of_type`: text, date, flag, money for the money type, count for
integers). A mart's key is the ``unique_key`` of its ``model_rules`` test.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sales_kpis.project import project_dir

#: dbt's resource paths and their defaults: docs-paths defaults to all of them.
RESOURCE_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
    "macro-paths": ["macros"],
    "test-paths": ["tests"],
    "function-paths": ["functions"],
}

#: The units a column can have. by_metric: a target's value, in the unit of the row's metric
#: (:meth:`Definitions.metric_unit`); multiple: a ratio read as "x times" (ROI); number: a plain
#: number (a year, a quarter, a z statistic).
UNITS = ("text", "date", "flag", "money", "count", "rate", "multiple", "days", "months", "number", "by_metric")
#: The project's money type (macro type_money): every amount in the reporting currency.
MONEY_TYPE = "decimal(18, 2)"
INTEGER_TYPES = ("bigint", "integer", "int", "smallint", "tinyint", "hugeint")

_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
_DOC_CALL = re.compile(r"""{{-?\s*doc\(\s*(?:['"]\w+['"]\s*,\s*)?['"](\w+)['"]\s*\)\s*-?}}""")


class DefinitionError(LookupError):
    """A definition is missing or ambiguous (an unknown doc block, column or rate)."""


@dataclass(frozen=True)
class Rate:
    """A published rate: sum(numerator) / sum(denominator) over any set of its rows."""

    numerator: str
    denominator: str


@dataclass(frozen=True)
class ColumnDefinition:
    name: str
    description: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: The declared type in the model yml (``decimal(18, 2)``, ``double precision``...), or None.
    data_type: str | None = None

    @property
    def unit(self) -> str | None:
        """The unit its meta declares, else the one its type settles (None: neither)."""
        declared = self.meta.get("unit")
        if declared is not None:
            if declared not in UNITS:
                raise DefinitionError(f"column {self.name}: meta unit {declared!r} is not one of {', '.join(UNITS)}")
            return str(declared)
        return unit_of_type(self.data_type)

    @property
    def is_integral(self) -> bool:
        """Declared as an integer type (a count of days shows no decimals; an average of them does)."""
        return normal_type(self.data_type) in INTEGER_TYPES

    @property
    def rate(self) -> Rate | None:
        """The numerator and denominator columns its meta names, if it is a rate."""
        numerator, denominator = self.meta.get("numerator"), self.meta.get("denominator")
        return Rate(str(numerator), str(denominator)) if numerator and denominator else None


@dataclass(frozen=True)
class ModelDefinition:
    name: str
    description: str
    path: Path
    columns: Mapping[str, ColumnDefinition]
    #: The columns its model_rules test holds unique (its grain), in that order; () when none.
    key: tuple[str, ...] = ()

    def column(self, name: str) -> ColumnDefinition:
        if name not in self.columns:
            raise DefinitionError(f"{self.path} describes no column {name!r} of {self.name}")
        return self.columns[name]


@dataclass(frozen=True)
class Definitions:
    project: Path
    docs: Mapping[str, str]
    models: Mapping[str, ModelDefinition]

    def doc(self, name: str) -> str:
        if name not in self.docs:
            raise DefinitionError(f"no doc block {name!r} in the project's docs-paths")
        return self.docs[name]

    def model(self, name: str) -> ModelDefinition:
        if name not in self.models:
            raise DefinitionError(f"no model yml describes {name!r}")
        return self.models[name]

    def column(self, model: str, column: str) -> ColumnDefinition:
        return self.model(model).column(column)

    def metric_unit(self, metric: str) -> str | None:
        """The unit of a target's metric: a metric is a KPI the marts publish, so the unit of the
        kpi_ columns of that name (None for a name no mart publishes, or publishes in two units)."""
        units = {model.columns[metric].unit for name, model in self.models.items()
                 if name.startswith("kpi_") and metric in model.columns}
        return units.pop() if len(units) == 1 else None

    def rate(self, model: str, column: str) -> Rate:
        """The numerator and denominator of a published rate; DefinitionError if its meta names none."""
        rate = self.column(model, column).rate
        if rate is None:
            raise DefinitionError(f"{model}.{column} has no meta numerator and denominator")
        return rate


def plain(text: str) -> str:
    """A description on one line (a spreadsheet cell, a footnote): runs of whitespace become one space."""
    return " ".join(text.split())


def normal_type(data_type: str | None) -> str:
    """A declared type in lower case with single spaces after commas (``decimal(18,2)`` -> ``decimal(18, 2)``)."""
    return re.sub(r"\s*,\s*", ", ", " ".join((data_type or "").lower().split()))


def unit_of_type(data_type: str | None) -> str | None:
    """The unit a declared type settles on its own: text, date, flag, money or count; else None."""
    normal = normal_type(data_type)
    if normal.startswith(("varchar", "text", "string", "char")):
        return "text"
    if normal.startswith(("date", "timestamp")):
        return "date"
    if normal.startswith("bool"):
        return "flag"
    if normal == MONEY_TYPE:
        return "money"
    if normal in INTEGER_TYPES:
        return "count"
    return None


def _unique_key(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The unique_key of a model's model_rules test (a column or a list of them)."""
    for test in entry.get("data_tests") or []:
        if isinstance(test, dict) and isinstance(test.get("model_rules"), dict):
            rules = test["model_rules"]
            key = (rules.get("arguments") or rules).get("unique_key")
            if key:
                return (key,) if isinstance(key, str) else tuple(key)
    return ()


def project_settings(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}


def _paths(project: Path, settings: Mapping[str, Any], key: str) -> list[str]:
    value = settings.get(key)
    return list(value) if value is not None else list(RESOURCE_PATHS[key])


def docs_paths(project: Path, settings: Mapping[str, Any] | None = None) -> list[Path]:
    """The directories dbt reads doc blocks from, as dbt_project.yml sets them (or dbt's default)."""
    settings = project_settings(project) if settings is None else settings
    if settings.get("docs-paths") is not None:
        names = list(settings["docs-paths"])
    else:
        names = sorted({path.rstrip("/") for key in RESOURCE_PATHS for path in _paths(project, settings, key)})
    return [project / name for name in names]


def read_doc_blocks(directories: list[Path]) -> dict[str, str]:
    """{name: text} of every doc block in the Markdown files under the directories."""
    blocks: dict[str, str] = {}
    where: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.rglob("*.md")) if directory.is_dir() else []:
            for match in _DOC_BLOCK.finditer(path.read_text(encoding="utf-8")):
                name = match.group(1)
                if name in blocks:
                    raise DefinitionError(f"doc block {name!r} is in both {where[name]} and {path}")
                blocks[name] = match.group(2).strip()
                where[name] = path
    return blocks


def resolve(text: str, docs: Mapping[str, str]) -> str:
    """The text with every {{ doc('name') }} replaced by the doc block's text."""

    def block(match: re.Match) -> str:
        name = match.group(1)
        if name not in docs:
            raise DefinitionError(f"{{{{ doc('{name}') }}}}: no such doc block")
        return docs[name]

    return _DOC_CALL.sub(block, text or "").strip()


def _meta(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {**(entry.get("meta") or {}), **((entry.get("config") or {}).get("meta") or {})}


def read_models(project: Path, directories: list[Path], docs: Mapping[str, str]) -> dict[str, ModelDefinition]:
    models: dict[str, ModelDefinition] = {}
    for directory in directories:
        paths = sorted([*directory.rglob("*.yml"), *directory.rglob("*.yaml")]) if directory.is_dir() else []
        for path in paths:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for entry in (content.get("models") or []) if isinstance(content, dict) else []:
                columns = {
                    column["name"]: ColumnDefinition(column["name"], resolve(column.get("description", ""), docs),
                                                     _meta(column), column.get("data_type"))
                    for column in entry.get("columns") or []
                }
                models[entry["name"]] = ModelDefinition(entry["name"], resolve(entry.get("description", ""), docs),
                                                        path.relative_to(project), columns, _unique_key(entry))
    return models


@functools.lru_cache(maxsize=4)
def _load(project: Path) -> Definitions:
    settings = project_settings(project)
    docs = read_doc_blocks(docs_paths(project, settings))
    model_directories = [project / name for name in _paths(project, settings, "model-paths")]
    return Definitions(project=project, docs=docs, models=read_models(project, model_directories, docs))


def load(project: Path | None = None) -> Definitions:
    """The definitions of the dbt project (default: :func:`sales_kpis.project.project_dir`), read once."""
    return _load(Path(project or project_dir()).resolve())
