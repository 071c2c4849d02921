"""The raw-data contract (``docs/spec/raw_contract.md``) and its catalogue of rules, as data.

Both are written once, in the dbt project's ``crm`` source
(``models/staging/crm/_crm__sources.yml``: each column's ``data_type`` and
``meta``, each table's ``meta``), which dbt reads through ``graph``; this module
reads the same file for the runner: the generator (what to write), ``validate``
(what to check) and the importers. Column types are the contract's logical
types (``LOGICAL_TYPES``); the default funnel is the ``stages`` seed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sales_kpis.project import project_dir
from sales_kpis.warehouse import string_literal

#: Where the contract is written, relative to the dbt project.
CONTRACT_FILE = Path("models") / "staging" / "crm" / "_crm__sources.yml"
#: The default funnel, shipped as a seed (a user's own ``stages`` table replaces it).
STAGES_SEED = Path("seeds") / "stages.csv"

#: Severities of the catalogue's rules: the build stops; the build repairs the
#: record, lists it in dq_record_issues and warns; a harmless oddity (that the
#: build lists in dq_record_issues too when the rule says what it does with it).
STRUCTURAL, RECORD, WARNING = "structural", "record", "warning"
SEVERITIES = (STRUCTURAL, RECORD, WARNING)


@dataclass(frozen=True)
class LogicalType:
    name: str
    duckdb: str  # the type the build stores a value in (macros/raw/logical_type.sql), which validate parses into
    arrow: str  # the Arrow type (pyarrow alias) the generator and the importers write


#: The one map from the contract's logical types to engine types, for the runner.
LOGICAL_TYPES: dict[str, LogicalType] = {t.name: t for t in (
    LogicalType("text", "VARCHAR", "string"),
    LogicalType("timestamp", "TIMESTAMP", "timestamp[us]"),
    LogicalType("date", "DATE", "date32"),
    LogicalType("decimal", "DECIMAL(28, 6)", "float64"),  # the build's money type, macros/utils/type_amount.sql
    LogicalType("integer", "INTEGER", "int32"),
    LogicalType("boolean", "BOOLEAN", "bool"),
)}


def arrow_type(logical: str):
    """The pyarrow type a contract column of this logical type is written as."""
    import pyarrow as pa

    return pa.type_for_alias(LOGICAL_TYPES[logical].arrow)


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str
    problem: str = "orphaned_foreign_key"
    severity: str = RECORD
    repair: str | None = None
    message: str = ""  # overrides the catalogue's foreign-key message


@dataclass(frozen=True)
class AcceptedValues:
    values: tuple[str, ...]  # compared trimmed and lower-cased
    problem: str


@dataclass(frozen=True)
class ExchangeRate:
    """A currency column: an amount in another currency needs a rate on or before ``date`` (its month end)."""
    date: str
    month_end: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    optional: bool = False  # the column may be absent from the table (it then reads as null)
    null_repair: str | None = None  # a null in a non-nullable column is a record-level anomaly, repaired so
    foreign_key: ForeignKey | None = None
    accepted_values: AcceptedValues | None = None
    exchange_rate: ExchangeRate | None = None
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """A rule of the catalogue: which rows of ``table`` break it, how bad that is, what the message says.

    ``kind``: ``row`` (the rows where ``fails``, SQL over the contract's column
    names, holds), ``table`` (``fails`` is a condition over the whole table's
    aggregates), ``foreign_key`` (``column`` names no row of
    ``ref_table.ref_column``) or ``exchange_rate`` (an amount in ``column``'s
    currency has no rate on or before ``date``, or its month end). ``message``
    names the offending values with ``{column}`` placeholders. ``stage``
    (``open`` or ``closed``) limits a row rule to the rows whose ``stage_name``
    is an open or a closed stage of the stages config.
    """
    table: str
    problem: str
    column: str
    kind: str
    severity: str
    message: str
    fails: str = ""
    repair: str | None = None
    ref_table: str | None = None
    ref_column: str | None = None
    date: str | None = None
    month_end: bool = False
    stage: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)  # the column rules, then the table's own
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        return tuple(column.foreign_key for column in self.columns if column.foreign_key)


def fill(template: str, **names: str) -> str:
    """A message template of the catalogue with its generic names (``{column}``, ``{to}``, ``{values}``)
    filled in; ``{value}`` becomes the column's own placeholder, filled per row."""
    text = template.replace("{value}", "{" + names["column"] + "}")
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    return text


def column_rules(table: str, primary_key: tuple[str, ...], column: Column,
                 messages: dict[str, str]) -> list[Rule]:
    """The rules a column's meta implies, in this order: its null rule, accepted values, foreign key,
    exchange rate (macros/raw/contract_rules.sql expands them the same way for dbt)."""
    rules = []
    name = column.name
    if not column.nullable:
        rules.append(Rule(
            table, "null_key" if name in primary_key else "null_required", name, "row",
            RECORD if column.null_repair else STRUCTURAL, fill(messages["null_required"], column=name),
            f"{name} is null", column.null_repair))
    if column.accepted_values:
        accepted = column.accepted_values
        rules.append(Rule(
            table, accepted.problem, name, "row", STRUCTURAL,
            fill(messages["accepted_values"], column=name, values=", ".join(accepted.values)),
            f"lower(trim({name})) not in ({', '.join(string_literal(value) for value in accepted.values)})"))
    if column.foreign_key:
        fk = column.foreign_key
        rules.append(Rule(
            table, fk.problem, name, "foreign_key", fk.severity,
            fk.message or fill(messages["foreign_key"], column=name, to=f"{fk.ref_table}.{fk.ref_column}"),
            repair=fk.repair, ref_table=fk.ref_table, ref_column=fk.ref_column))
    if column.exchange_rate:
        rules.append(Rule(
            table, "missing_exchange_rate", name, "exchange_rate", STRUCTURAL, "", date=column.exchange_rate.date,
            month_end=column.exchange_rate.month_end))
    return rules


def _read(path: Path) -> tuple[dict[str, Table], dict[str, str], dict[str, str]]:
    with path.open() as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    source = next(source for source in document["sources"] if source["name"] == "crm")
    problems, messages = source["config"]["meta"]["problems"], source["config"]["meta"]["messages"]
    tables: dict[str, Table] = {}
    for spec in source["tables"]:
        name = spec["name"]
        meta = spec["config"]["meta"]
        primary_key = tuple(meta["primary_key"])
        columns, rules = [], []
        for column in spec["columns"]:
            column_meta = (column.get("config") or {}).get("meta") or {}
            if column["data_type"] not in LOGICAL_TYPES:
                raise ValueError(f"{path}: {name}.{column['name']} has no logical type ({column['data_type']!r})")
            foreign_key = accepted = rate = None
            if "foreign_key" in column_meta:
                fk = column_meta["foreign_key"]
                ref_table, ref_column = fk["to"].split(".")
                foreign_key = ForeignKey(column["name"], ref_table, ref_column,
                                         fk.get("problem", "orphaned_foreign_key"), fk.get("severity", RECORD),
                                         fk.get("repair"), fk.get("message", ""))
            if "accepted_values" in column_meta:
                accepted = AcceptedValues(tuple(column_meta["accepted_values"]["values"]),
                                          column_meta["accepted_values"]["problem"])
            if "exchange_rate" in column_meta:
                rate = ExchangeRate(**column_meta["exchange_rate"])
            columns.append(Column(
                column["name"], column["data_type"], column_meta.get("nullable", True),
                column_meta.get("optional", False), column_meta.get("null_repair"), foreign_key, accepted, rate,
                " ".join(str(column.get("description", "")).split()),
            ))
            rules += column_rules(name, primary_key, columns[-1], messages)
        rules += [
            Rule(name, rule["problem"], rule["column"], rule.get("scope", "row"), rule["severity"], rule["message"],
                 rule["fails"], rule.get("repair"), stage=rule.get("stage"))
            for rule in meta.get("rules", [])
        ]
        tables[name] = Table(name, meta["required"], primary_key, tuple(columns), tuple(rules),
                             " ".join(str(spec.get("description", "")).split()))
    return tables, problems, messages


def _default_stages(path: Path) -> list[tuple[str, int | None, bool, bool, float]]:
    with path.open(newline="") as handle:
        return [
            (row["stage_name"], int(row["stage_number"]) if row["stage_number"] else None,
             row["is_closed"].strip().lower() == "true", row["is_won"].strip().lower() == "true",
             float(row["forecast_probability"]))
            for row in csv.DictReader(handle)
        ]


#: The contract's tables; the catalogue's problems (with a one-line description each); the message
#: templates of the rules the contract's columns imply (null, foreign key, accepted values).
TABLES, PROBLEMS, MESSAGES = _read(project_dir() / CONTRACT_FILE)

REQUIRED_TABLES = [name for name, table in TABLES.items() if table.required]
OPTIONAL_TABLES = [name for name, table in TABLES.items() if not table.required]
USER_ROLES = TABLES["users"].column("role").accepted_values.values
OPPORTUNITY_TYPES = TABLES["opportunities"].column("opportunity_type").accepted_values.values

#: The default funnel, read from the stages seed:
#: (stage_name, stage_number, is_closed, is_won, forecast_probability).
DEFAULT_STAGES = _default_stages(project_dir() / STAGES_SEED)
