"""The project's settings (dbt vars): their catalogue of types and ranges, checked before dbt starts.

The catalogue is written once, in ``dbt_project.yml`` (var ``var_types``,
beside the vars and their defaults). This module reads it for the runner:
``sales-kpis build`` checks every ``--var`` and ``--as-of`` with it before dbt
starts, and names the option as the user typed it. dbt run directly checks the
same catalogue in its on-run-start hook (``macros/settings/check_vars.sql``,
the same rules in Jinja; a pytest feeds both the same values and compares the
messages). A value that passes is of its type and in its range, so no var can
carry SQL: numbers are numbers, names are names, and the free texts (paths)
are quoted wherever they enter SQL.

:func:`problem` returns the reason a value is not a setting (``None`` when it
is); the wording is :func:`describe` of the var's type.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from sales_kpis.project import project_dir

#: The strings dbt's as-of macro reads as "no date given" (today).
TODAY_WORDS = ("", "none", "null", "today")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
INTEGER = re.compile(r"^-?[0-9]+$")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class SettingError(ValueError):
    """A value given for a setting is not of its type or out of its range."""


@dataclass(frozen=True)
class VarProblem:
    name: str
    value: Any
    reason: str  # "must be an integer from 0 to 3660, got '730 + (select 1)'"

    def __str__(self) -> str:
        return f"var {self.name} {self.reason}"


@lru_cache(maxsize=1)
def project_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml: defaults, and the catalogue `var_types`."""
    with open(project_dir() / "dbt_project.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("vars") or {})


def catalogue() -> dict[str, dict[str, Any]]:
    """{var name or pattern with *: its type spec}."""
    return dict(project_vars().get("var_types") or {})


def defaults() -> dict[str, Any]:
    """Each var's default (dbt_project.yml)."""
    return {name: value for name, value in project_vars().items() if name != "var_types"}


def spec_of(name: str) -> dict[str, Any] | None:
    """The type spec of a var (an exact entry first, then a pattern), or None if it is not a setting."""
    specs = catalogue()
    if name in specs:
        return specs[name]
    for pattern, spec in specs.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return spec
    return None


def describe(spec: dict[str, Any]) -> str:
    """A type in words: "an integer from 1 to 12", "a list of new_business, expansion or renewal"."""
    kind = spec["type"]
    if kind == "date":
        text = "a date (YYYY-MM-DD)"
    elif kind in ("integer", "number"):
        text = ("an integer" if kind == "integer" else "a number") + f" from {_number(spec['min'])} to {_number(spec['max'])}"
    elif kind == "boolean":
        text = "true or false"
    elif kind == "currency":
        text = "a currency code (three letters)"
    elif kind == "identifier":
        text = "a name of letters, digits and _ (not starting with a digit)"
    elif kind == "text":
        text = f"a text matching {spec['pattern']}" if spec.get("pattern") else "a text"
    elif kind == "one_of":
        text = "one of " + ", ".join(str(value) for value in spec["values"])
    elif kind == "list":
        text = "a list of " + describe(spec["items"])
        if spec.get("min_items"):
            text += f" (at least {spec['min_items']})"
    elif kind == "mapping":
        if spec.get("fields"):
            text = "a mapping with the keys " + ", ".join(spec["fields"])
        else:
            text = "a mapping of " + describe(spec["values"])
    else:
        raise ValueError(f"var_types: unknown type {kind!r}")
    return text + (" or null" if spec.get("nullable") else "")


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(value: Any) -> str:
    """A value as the messages quote it (the same in the dbt hook)."""
    if value is None or isinstance(value, (bool, dict, list)):
        return json.dumps(value)
    return str(value)


def problem(spec: dict[str, Any], value: Any) -> str | None:
    """Why value is not of the type `spec` (None when it is): "must be ..., got '...'"."""
    wrong = f"must be {describe(spec)}, got '{_shown(value)}'"
    if value is None or (spec["type"] == "date" and spec.get("nullable") and isinstance(value, str)
                         and value.strip().lower() in TODAY_WORDS):
        return None if spec.get("nullable") else wrong
    kind = spec["type"]
    if kind == "date":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return None
        return None if isinstance(value, str) and is_date(value.strip()) else wrong
    if kind in ("integer", "number"):
        number = _as_number(value, integer=kind == "integer")
        if number is None or not spec["min"] <= number <= spec["max"]:
            return wrong
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else wrong
    if kind == "currency":
        return None if isinstance(value, str) and CURRENCY.match(value.strip()) else wrong
    if kind == "identifier":
        return None if isinstance(value, str) and IDENTIFIER.match(value) else wrong
    if kind == "text":
        if not isinstance(value, str) or (spec.get("pattern") and not re.search(spec["pattern"], value)):
            return wrong
        return None
    if kind == "one_of":
        allowed = [str(allowed).lower() for allowed in spec["values"]]
        return None if isinstance(value, str) and value.strip().lower() in allowed else wrong
    if kind == "list":
        if not isinstance(value, list) or len(value) < spec.get("min_items", 0):
            return wrong
        return wrong if any(problem(spec["items"], item) for item in value) else None
    if kind == "mapping":
        if not isinstance(value, dict):
            return wrong
        fields = spec.get("fields")
        for key, item in value.items():
            item_spec = (fields or {}).get(key) if fields else spec["values"]
            if item_spec is None or problem(item_spec, item):
                return wrong
        return None
    raise ValueError(f"var_types: unknown type {kind!r}")


def _as_number(value: Any, integer: bool) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return None if integer or not math.isfinite(value) else value
    if isinstance(value, str) and (INTEGER if integer else NUMBER).match(value.strip()):
        return float(value.strip())
    return None


def is_date(text: str) -> bool:
    """A real calendar date written YYYY-MM-DD (2026-02-29 is not one)."""
    match = ISO_DATE.match(text)
    if not match:
        return False
    year, month, day = (int(part) for part in match.groups())
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def check(values: dict[str, Any]) -> list[VarProblem]:
    """Every value that is not a setting: an unknown var, or a value not of its var's type."""
    problems = []
    for name, value in values.items():
        spec = spec_of(name)
        if spec is None:
            known = [key for key in catalogue() if "*" not in key]
            close = [key for key in known if _close(name, key)]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(VarProblem(name, value, f"is not a setting of this project{hint}; "
                                       "the settings are the vars of dbt_project.yml"))
            continue
        reason = problem(spec, value)
        if reason:
            problems.append(VarProblem(name, value, reason))
    return problems


def _close(name: str, known: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, name, known).ratio() >= 0.8


def check_as_of(text: str) -> str:
    """The as-of date of --as-of, trimmed; SettingError unless it is a real YYYY-MM-DD date."""
    if not is_date(text.strip()):
        raise SettingError(f"must be a date (YYYY-MM-DD), got '{text}'")
    return text.strip()


def build_settings(variables: dict[str, Any], as_of: str | None) -> dict[str, str]:
    """What a build's build_metadata row will say, as text: as_of_date, reporting_currency,
    fiscal_year_start_month, bookings_opportunity_types (the vars given, else the defaults)."""
    values = {**defaults(), **variables}
    as_of_text = variables.get("as_of_date") or as_of
    if as_of_text is None or str(as_of_text).strip().lower() in TODAY_WORDS:
        as_of_text = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return {
        "as_of_date": str(as_of_text).strip(),
        "reporting_currency": str(values["reporting_currency"]).strip().upper(),
        "fiscal_year_start_month": str(int(values["fiscal_year_start_month"])),
        "bookings_opportunity_types": ",".join(str(item) for item in values["bookings_opportunity_types"]),
    }
