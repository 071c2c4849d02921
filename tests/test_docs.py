"""Each KPI defined once, in a doc block, and the documentation that users read.

- Every KPI column of a `kpi_` mart is described by a doc block of docs/spec
  (the description is `{{ doc('<block>') }}` and nothing else), and a mart's
  own description is its block.
- The repository's copy of the KPI brief follows the brief: every mart and
  KPI column the brief names that exists in the product is documented from a
  block, every mart it names appears in docs/spec/kpi_definitions.md (marked
  planned until built), and every settled reading is there word for word.
  Skipped when the brief is not beside the repository.
- The README stays a README (at most 300 lines), its commands name real
  `sales-kpis` options and make targets, and the relative links of the README,
  CHANGELOG and docs/ resolve.

That every model has a description and every public model is documented to
the column is checked on dbt's catalog in tests/test_model_contracts.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from sales_kpis.project import project_dir

ROOT = project_dir()
DEFINITIONS = ROOT / "docs" / "spec" / "kpi_definitions.md"
#: The KPI brief the definitions started from (beside the repository, not part of it).
BRIEF = ROOT.parent / "shared" / "spec" / "kpi_definitions.md"
README_MAX_LINES = 300
#: Numeric columns of the marts that are attributes or bookkeeping, not KPIs.
NOT_KPIS = {"annual_ote", "months", "fiscal_year", "fiscal_quarter", "periods_since_start", "ramp_months",
            "horizon_months"}
DOC_CALL = re.compile(r"\{\{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
NUMERIC = re.compile(r"^(bigint|integer|double precision|decimal\b)")


# --------------------------------------------------------------------------- reading the project


def docs_paths() -> list[Path]:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    return [ROOT / path for path in project["docs-paths"]]


def doc_blocks() -> dict[str, str]:
    """{block name: text} of every doc block dbt reads (docs-paths)."""
    blocks: dict[str, str] = {}
    for directory in docs_paths():
        for path in sorted(directory.rglob("*.md")):
            for name, text in re.findall(r"\{%-?\s*docs\s+(\w+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}",
                                         path.read_text(), re.S):
                assert name not in blocks, f"doc block {name} defined twice"
                blocks[name] = text.strip()
    return blocks


def model_ymls() -> dict[str, dict]:
    """{model name: its yml entry} of every model under models/."""
    models: dict[str, dict] = {}
    for path in sorted((ROOT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            models[model["name"]] = model
    return models


def marts() -> dict[str, dict]:
    return {name: model for name, model in model_ymls().items() if name.startswith("kpi_")}


def block_of(description: str | None) -> str | None:
    """The block a description is, when it is a doc call and nothing else."""
    match = DOC_CALL.fullmatch((description or "").strip())
    return match.group(1) if match else None


def normalised(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- the product's own rules


def test_doc_paths_hold_the_definitions_and_nothing_is_defined_twice():
    blocks = doc_blocks()
    assert DEFINITIONS.parent in docs_paths()
    assert len(blocks) > 100, len(blocks)
    assert not (ROOT / "models" / "docs").exists(), "doc blocks live in docs/spec, not models/docs"


def test_every_doc_call_names_a_block():
    blocks = doc_blocks()
    unknown = []
    for path in sorted((ROOT / "models").rglob("*.yml")):
        unknown += [f"{path.relative_to(ROOT)}: {name}" for name in DOC_CALL.findall(path.read_text())
                    if name not in blocks]
    assert not unknown, unknown


def test_every_mart_and_kpi_column_is_described_by_its_block():
    """A mart's description is its block; a numeric mart column (a count, an amount, a rate) is a KPI: its
    description is a doc block, not words of its own."""
    blocks = doc_blocks()
    problems = []
    for name, model in marts().items():
        if block_of(model.get("description")) not in blocks:
            problems.append(f"{name}: model description is not a doc block")
        for column in model.get("columns") or []:
            description = column.get("description")
            if DOC_CALL.search(description or "") and block_of(description) is None:
                problems.append(f"{name}.{column['name']}: a doc block with words around it: {description!r}")
            elif (NUMERIC.match(column.get("data_type") or "") and column["name"] not in NOT_KPIS
                  and block_of(description) not in blocks):
                problems.append(f"{name}.{column['name']}: {description!r}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the copy follows the brief


def brief_sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of every '## ' section of the brief."""
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return [(part.split("\n", 1)[0], part.split("\n", 1)[1] if "\n" in part else "") for part in parts]


def declared_marts(heading: str, body: str) -> set[str]:
    """The marts a section is about: named in its heading, or as '— mart `kpi_x`' in its text."""
    named = set(re.findall(r"`(kpi_\w+)`", heading)) if "mart" in heading else set()
    return named | set(re.findall(r"—\s*marts?\s+`(kpi_\w+)`", body))


def brief_columns(brief: str) -> dict[str, set[str]]:
    """{mart: the backticked names its sections mention}."""
    named: dict[str, set[str]] = {}
    for heading, body in brief_sections(brief):
        identifiers = set(re.findall(r"`(\w+)`", body))
        for mart in declared_marts(heading, body):
            named.setdefault(mart, set()).update(identifiers)
    return named


def settled_readings(brief: str) -> list[str]:
    """Every bullet of the brief's 'Settled readings' sections, whitespace-normalised."""
    readings = []
    for block in re.findall(r"^#{2,3} Settled readings[^\n]*\n(.*?)(?=^#{2,3} |\Z)", brief, re.S | re.M):
        readings += [normalised(item) for item in re.split(r"^- ", block, flags=re.M)[1:]]
    return readings


@pytest.fixture(scope="module")
def brief() -> str:
    if not BRIEF.is_file():
        pytest.skip(f"the KPI brief is not beside the repository ({BRIEF})")
    return BRIEF.read_text()


def test_every_mart_and_kpi_column_of_the_brief_is_documented_from_a_block(brief):
    named, models, blocks = brief_columns(brief), marts(), doc_blocks()
    assert len(named) >= 12, sorted(named)
    definitions = DEFINITIONS.read_text()
    problems, checked = [], 0
    for mart, identifiers in sorted(named.items()):
        if mart not in definitions:
            problems.append(f"{mart}: not in {DEFINITIONS.relative_to(ROOT)} (mark it planned until it is built)")
        if mart not in models:
            continue
        if block_of(models[mart].get("description")) not in blocks:
            problems.append(f"{mart}: model description is not a doc block")
        for column in models[mart].get("columns") or []:
            if column["name"] in identifiers:
                checked += 1
                if block_of(column.get("description")) not in blocks:
                    problems.append(f"{mart}.{column['name']}: {column.get('description')!r}")
    assert not problems, "\n".join(problems)
    assert checked >= 80, checked
    print(f"{checked} columns of {len(named)} marts named by the brief, each described by a doc block")


def test_every_settled_reading_of_the_brief_is_in_the_definitions(brief):
    readings, definitions = settled_readings(brief), normalised(DEFINITIONS.read_text())
    assert len(readings) >= 20, len(readings)
    missing = [reading[:100] for reading in readings if reading not in definitions]
    assert not missing, f"readings of the brief not in {DEFINITIONS.relative_to(ROOT)}: {missing}"


# --------------------------------------------------------------------------- the README and the links


def shell_commands(markdown: str) -> list[list[str]]:
    """The commands of the fenced shell blocks, split into words (comments and continuations handled)."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|shell)?\n(.*?)```", markdown, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for command in re.split(r"&&|;|\|", line.split(" # ")[0]):
                try:
                    words = shlex.split(command)
                except ValueError:
                    continue
                if words:
                    commands.append(words)
    return commands


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES}: guides go to docs/)"


def test_the_readme_commands_name_real_options_and_targets():
    from sales_kpis.cli import main

    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    checked, problems = 0, []
    for words in shell_commands((ROOT / "README.md").read_text()):
        program = Path(words[0]).name
        if program == "make":
            checked += 1
            problems += [f"make {word}" for word in words[1:] if "=" not in word and word not in targets]
        elif program == "sales-kpis":
            checked += 1
            command = main.commands.get(words[1])
            if command is None:
                problems.append(f"sales-kpis {words[1]}: no such command")
                continue
            options = {name for parameter in command.params for name in getattr(parameter, "opts", [])
                       + getattr(parameter, "secondary_opts", [])}
            problems += [f"sales-kpis {words[1]} {word.split('=')[0]}" for word in words[2:]
                         if word.startswith("--") and word.split("=")[0] not in options]
    assert checked >= 10, checked
    assert not problems, problems


def test_relative_links_resolve():
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:|#", target):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


# --------------------------------------------------------------------------- the product speaks for itself

def product_files() -> list[Path]:
    """The repository's files outside tests/ (git's list; a walk when git is not there)."""
    import subprocess

    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        paths = [ROOT / line for line in listed.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        skipped = {".git", ".venv", ".venv-engines", "build", "target", "logs", "bench", "data", "warehouse"}
        paths = [path for path in ROOT.rglob("*") if not skipped & set(path.relative_to(ROOT).parts)]
    return [path for path in paths if path.is_file() and path.relative_to(ROOT).parts[0] != "tests"
            and path.suffix not in {".png", ".parquet", ".duckdb"}]


def test_nothing_outside_the_tests_points_outside_the_repository():
    """A user's clone has no ../shared: the contract, the definitions and the datasets' sources are in the repository."""
    found = [f"{path.relative_to(ROOT)}:{number}" for path in product_files()
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
             if re.search(r"\.\./shared|shared/(spec|datasets)", line)]
    assert not found, found


def test_no_issue_numbers_in_the_product():
    """Users do not see the tracker: features are named by what they do, not by an issue number."""
    pattern = re.compile(r"\bissues? ?#?\d+\b", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}" for path in product_files()
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1) if pattern.search(line)]
    assert not found, found
