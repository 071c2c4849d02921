"""Which folder a model lives in decides what it may read, its name and its access.

Each rule takes its table from pyproject.toml, keyed by folder under models/
(a model's folder is matched by the longest key it equals or lies under), so
docs/architecture.md's layer table and the check are one table.
"""

import re
from pathlib import PurePosixPath

from dbt_score import Macro, Model, RuleViolation, Seed, Source, rule, rule_filter

#: How the lineage table names a parent that is not a model.
SOURCES, SEEDS = "sources", "seeds"


def folder_of(path: str) -> str:
    """The folder of a node's file, e.g. 'models/marts/revenue'."""
    return str(PurePosixPath(path).parent)


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def closest(path: str, folders) -> str | None:
    """The longest of folders that path equals or lies under."""
    matches = [folder for folder in folders if is_within(path, folder)]
    return max(matches, key=len) if matches else None


def parent_place(parent) -> str:
    if isinstance(parent, Source):
        return SOURCES
    if isinstance(parent, Seed):
        return SEEDS
    return folder_of(parent.original_file_path)


@rule
def model_reads_only_upstream_layers(model: Model, may_read: dict | None = None) -> RuleViolation | None:
    """A model reads only the sources, seeds and folders its layer may read."""
    if not may_read:
        return RuleViolation("no may_read table configured")
    place = folder_of(model.original_file_path)
    layer = closest(place, may_read)
    if layer is None:
        return RuleViolation(f"{place} is in no layer of the may_read table")
    allowed = may_read[layer]
    wrong = sorted(
        f"{parent.name} ({where})"
        for parent in model.parents
        for where in [parent_place(parent)]
        if not any(is_within(where, permitted) for permitted in allowed)
    )
    if wrong:
        return RuleViolation(f"{layer} may not read {', '.join(wrong)}")
    return None


@rule
def model_name_matches_its_folder(model: Model, names: dict | None = None) -> RuleViolation | None:
    """A model's name has the prefix of its folder (the first folder pattern that matches)."""
    if not names:
        return RuleViolation("no names table configured")
    place = folder_of(model.original_file_path)
    for folder_pattern, name_pattern in names.items():
        match = re.fullmatch(folder_pattern, place)
        if match:
            expected = re.sub(r"\\(\d)", lambda group: re.escape(match.group(int(group.group(1)))), name_pattern)
            if re.fullmatch(expected, model.name):
                return None
            return RuleViolation(f"a model in {place} is named {expected}")
    return RuleViolation(f"{place} matches no folder of the names table")


@rule
def model_access_matches_its_layer(model: Model, access: dict | None = None) -> RuleViolation | None:
    """A model's access is one its layer allows (folders without an entry: any)."""
    if not access:
        return RuleViolation("no access table configured")
    layer = closest(folder_of(model.original_file_path), access)
    if layer is not None and model.access not in access[layer]:
        return RuleViolation(f"access {model.access}; {layer} allows {', '.join(access[layer])}")
    return None


@rule
def public_model_has_an_enforced_contract(model: Model) -> RuleViolation | None:
    """A public model enforces its contract, with a data type on every column."""
    if model.access != "public":
        return None
    if not (model.config.get("contract") or {}).get("enforced"):
        return RuleViolation("public without an enforced contract")
    untyped = [column.name for column in model.columns if not column.data_type]
    if untyped:
        return RuleViolation(f"no data_type on {', '.join(untyped)}")
    return None


#: An adapter.dispatch implementation: <adapter>__<macro>, documented by the macro it implements.
DISPATCH_IMPLEMENTATION = re.compile(r"^[a-z]+__\w+$")


@rule_filter
def is_not_a_dispatch_implementation(macro: Macro) -> bool:
    """Macros that are not an adapter's implementation of another macro."""
    return not DISPATCH_IMPLEMENTATION.match(macro.name)
