"""Hostile input, planted where someone with a CRM field or the command line would put it.

Each payload is one test case, so the run says what was tried and what held
(`pytest tests/test_hostile_input.py -q`: "N passed" = N tried, N held):

- settings that carry SQL (every var of the catalogue, numbers and names and
  texts, by the runner and by dbt's own hook), and paths with a quote;
- markup in data values and in options (printed as written);
- an amount beyond the money type (named by key, by validate and the build);
- a warehouse whose mode and group were set by hand (kept), new files and
  failed copies (no access for others);
- paths that cannot be written and a full disk (one line, nothing left behind);
- files that are empty or not UTF-8 (named as such).

The dbt builds here are small (a selection, or a build that stops at the
staging tests); the session's warehouse is copied, never changed.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import copy_raw, copy_warehouse, rendered_macros

from sales_kpis import cli, settings
from sales_kpis.dbt_runner import DbtOptions, run_dbt
from sales_kpis.project import project_dir

ROOT = project_dir()
SQL_PAYLOADS = ["x' || (select 1) || '", 'x"; drop table users; --', "x\\' or 1=1 --", "1) or (1=1",
                "730 + (select 1)", "2026-10-31' or '1'='1"]


def payload_cases() -> list[tuple[str, object]]:
    """(var, payload) for every var of the catalogue whose type admits no quote: each payload in the var's shape."""
    cases = []
    for name, spec in settings.catalogue().items():
        name = name.replace("*", "lead")
        kind = spec["type"]
        if kind == "text" and not spec.get("pattern"):
            continue  # a path: any text, quoted where it enters SQL (the builds below)
        for payload in SQL_PAYLOADS:
            if kind == "list" and spec["items"]["type"] == "mapping":
                value: object = [{"source": "salesforce", "name": payload}]
            elif kind == "list":
                value = [payload] if spec["items"]["type"] != "list" else [[payload, payload]]
            elif kind == "mapping":
                value = {"leads": {"lead_source": payload}} if spec.get("values", {}).get("type") == "mapping" \
                    else {"source": payload} if spec.get("fields") else {"New": payload}
            else:
                value = payload
            cases.append((name, value))
    return cases


PAYLOADS = payload_cases()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def hook_macros():
    context = {"modules": types.SimpleNamespace(re=re, datetime=datetime), "tojson": json.dumps, "execute": True}
    with rendered_macros(sorted((ROOT / "macros" / "settings").glob("*.sql")), context) as module:
        yield module


# --------------------------------------------------------------------------- settings that carry SQL


@pytest.mark.parametrize("name, value", PAYLOADS, ids=[f"{n}={v!r}" for n, v in PAYLOADS])
def test_a_setting_carrying_sql_is_refused_by_the_runner_and_by_the_dbt_hook(hook_macros, name, value):
    [problem] = settings.check({name: value})
    assert problem.reason.startswith("must be ")
    assert hook_macros.var_problem(settings.spec_of(name), value) == problem.reason


@pytest.mark.parametrize("option", [
    "reporting_currency=USD' || (select content from read_text(lower('/ETC/HOSTNAME'))) || '",
    "calendar_horizon_days=730 + (select 1)",
    "bi_reader_role=reader\"; grant all on schema raw to public; --",
])
def test_the_command_line_refuses_it_before_dbt_starts(runner, tmp_path, option):
    result = runner.invoke(cli.main, ["build", "--raw-dir", str(tmp_path), "--database", str(tmp_path / "wh.duckdb"),
                                      "--var", option])
    assert result.exit_code == 2 and "Invalid value for '--var'" in result.output, result.output
    assert not (tmp_path / "wh.duckdb").exists()


def test_dbt_run_directly_refuses_every_bad_setting_before_any_model_runs(tmp_path):
    """One dbt parse with a payload in several vars: the hook's error lists each, nothing is built."""
    bad = {"reporting_currency": "USD' || (select 1) || '", "calendar_horizon_days": "730 + (select 1)",
           "bi_reader_role": "r' or '1'='1", "bookings_opportunity_types": ["new_business') or ('1'='1"],
           "canonical_source_relation": "x' || current_user || '", "reportng_currency": "EUR"}
    run = run_dbt("parse", DbtOptions(variables=bad, database=tmp_path / "dev.duckdb", target_path=tmp_path / "t"),
                  extra_args=["--log-level", "none"])
    assert not run.success
    for name in bad:
        assert f"var {name} " in run.exception, name
    assert not (tmp_path / "dev.duckdb").exists()


@pytest.fixture(scope="module")
def quoted_paths_build(generated_raw_dir, tmp_path_factory):
    """A raw-data directory and a warehouse whose paths hold a quote, brackets and spaces: built (users only)."""
    root = tmp_path_factory.mktemp("paths")
    raw = copy_raw(generated_raw_dir, root / "it's [raw] data")
    database = root / "O'Brien's [wh]" / "wh.duckdb"
    result = CliRunner().invoke(cli.main, ["build", "--raw-dir", str(raw), "--database", str(database),
                                           "--as-of", "2026-10-31", "--select", "stg_crm__users"])
    return result, raw, database


def test_a_raw_data_path_with_a_quote_is_read(quoted_paths_build, built_warehouse):
    result, _raw, database = quoted_paths_build
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(database), read_only=True) as connection:
        users = connection.execute("select count(*) from main_staging.stg_crm__users").fetchone()[0]
    assert users == built_warehouse.scalar(f"select count(*) from {built_warehouse.relation('stg_crm__users')}")


def test_a_new_warehouse_gives_others_no_access(quoted_paths_build):
    _result, _raw, database = quoted_paths_build
    assert database.stat().st_mode & 0o007 == 0


# --------------------------------------------------------------------------- markup in values and options


MARKUP = ["Closed Won[/x]", "[link=http://evil.example]Discovery[/link]", "[bold red]Proposal", "Won [/]"]


@pytest.fixture(scope="module")
def markup_raw(generated_raw_dir, tmp_path_factory):
    raw = copy_raw(generated_raw_dir, tmp_path_factory.mktemp("markup") / "raw", exclude=["opportunity_stage_history"])
    source = generated_raw_dir / "opportunity_stage_history.parquet"
    cases = " ".join(f"when {i + 1} then '{value}'" for i, value in enumerate(MARKUP))
    with duckdb.connect() as connection:
        connection.execute(f"copy (select * replace (case row_number() over () {cases} else stage_name end "
                           f"as stage_name) from read_parquet('{source}')) "
                           f"to '{raw / 'opportunity_stage_history.parquet'}' (format parquet)")
    return raw


@pytest.mark.parametrize("value", MARKUP)
def test_validate_prints_markup_in_a_value_as_written(runner, markup_raw, value):
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(markup_raw)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert f"stage '{value}' is not in the stages config" in result.output


#: Each command that prints a path it was given: its arguments (DIR: a directory with markup in its name)
#: and what it must print.
PATH_MESSAGES = {
    "build": (["build", "--raw-dir", "DIR", "--database", "TMP/wh.duckdb"], "--raw-dir DIR: no such directory"),
    "import": (["import", "olist", "DIR", "--out", "TMP/out"], "import failed: DIR is not a directory"),
    "report": (["report", "--out", "TMP/report", "--database", "DIR/wh.duckdb"], "no warehouse at DIR/wh.duckdb"),
    "export": (["export", "--mart", "kpi_new_business", "--out", "TMP/x.csv", "--database", "DIR/wh.duckdb"],
               "no warehouse at DIR/wh.duckdb"),
}


@pytest.mark.parametrize("directory", ["[red]nope[/red]", "[/x]"])
@pytest.mark.parametrize("command", sorted(PATH_MESSAGES))
def test_markup_in_an_option_is_printed_as_written(runner, tmp_path, directory, command):
    arguments, expected = PATH_MESSAGES[command]
    def placed(text: str) -> str:
        return text.replace("DIR", str(tmp_path / directory)).replace("TMP", str(tmp_path))
    result = runner.invoke(cli.main, [placed(argument) for argument in arguments])
    assert result.exit_code == 1, result.output
    assert placed(expected) in result.output


# --------------------------------------------------------------------------- an amount beyond the money type


@pytest.fixture(scope="module")
def beyond_money(generated_raw_dir, tmp_path_factory):
    """1e20 in one deal's amount, and a stage name with markup: validate, then build (it stops at staging)."""
    root = tmp_path_factory.mktemp("money")
    raw = copy_raw(generated_raw_dir, root / "raw", exclude=["opportunities", "opportunity_stage_history"])
    with duckdb.connect() as connection:
        deal = connection.execute(f"select min(opportunity_id) from read_parquet("
                                  f"'{generated_raw_dir / 'opportunities.parquet'}')").fetchone()[0]
        connection.execute(f"copy (select * replace (case when opportunity_id = '{deal}' then 1e20 else amount end "
                           f"as amount) from read_parquet('{generated_raw_dir / 'opportunities.parquet'}')) "
                           f"to '{raw / 'opportunities.parquet'}' (format parquet)")
        connection.execute(f"copy (select * replace (case when row_number() over () = 1 then 'Closed Won[/x]' "
                           f"else stage_name end as stage_name) from read_parquet("
                           f"'{generated_raw_dir / 'opportunity_stage_history.parquet'}')) "
                           f"to '{raw / 'opportunity_stage_history.parquet'}' (format parquet)")
    validated = CliRunner().invoke(cli.main, ["validate", "--raw-dir", str(raw)])
    database = root / "wh.duckdb"
    built = CliRunner().invoke(cli.main, ["build", "--raw-dir", str(raw), "--database", str(database),
                                          "--as-of", "2026-10-31"])
    return deal, validated, built, database


def test_validate_names_the_amount_beyond_the_money_type(beyond_money):
    deal, validated, _built, _database = beyond_money
    assert validated.exit_code == 1
    assert f"amount_out_of_range (opportunity_id={deal}, column amount) - amount 1e+20 is a trillion or more" \
        in validated.output


def test_the_build_stops_naming_the_record(beyond_money):
    deal, _validated, built, _database = beyond_money
    assert built.exit_code == 1, built.output
    assert re.search(rf"failing row: amount_out_of_range \(abs\(amount\) >= 1000000000000\): 1 of [0-9,]+ rows, "
                     rf"e\.g\. key {deal}", built.output), built.output
    assert "Conversion Error" not in built.output


def test_a_failing_rows_key_with_markup_is_printed_as_written(beyond_money):
    _deal, _validated, built, _database = beyond_money
    assert re.search(r"failing row: unknown_stage .* e\.g\. key \w+\|Closed Won\[/x\]\|", built.output), built.output


def test_a_failed_copy_gives_others_no_access(beyond_money):
    *_rest, database = beyond_money
    failed = database.with_name("wh.failed.duckdb")
    assert failed.exists() and failed.stat().st_mode & 0o007 == 0


# --------------------------------------------------------------------------- the published file's mode and group


def test_a_rebuild_keeps_the_mode_and_group_set_by_hand(built_warehouse, tmp_path, runner):
    import grp

    published = copy_warehouse(built_warehouse.database, tmp_path / "wh.duckdb")
    os.chmod(published, 0o600)
    groups = [g.gr_gid for g in grp.getgrall()] if os.geteuid() == 0 else os.getgroups()
    group = next((gid for gid in groups if gid != os.getegid()), os.getegid())
    os.chown(published, -1, group)
    before = published.stat().st_ino
    result = runner.invoke(cli.main, ["build", "--raw-dir", str(built_warehouse.raw_dir), "--database",
                                      str(published), "--as-of", built_warehouse.as_of, "--select", "dim_users"])
    assert result.exit_code == 0, result.output
    info = published.stat()
    assert info.st_ino != before, "the file was replaced"
    assert (info.st_mode & 0o7777, info.st_gid) == (0o600, group)


# --------------------------------------------------------------------------- paths that cannot be written, a full disk


def _only_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def test_a_warehouse_under_a_file_is_one_line(runner, generated_raw_dir, tmp_path):
    (tmp_path / "a-file").write_text("x")
    result = runner.invoke(cli.main, ["build", "--raw-dir", str(generated_raw_dir),
                                      "--database", str(tmp_path / "a-file" / "wh.duckdb")])
    assert result.exit_code == 1
    assert _only_line(result.output).endswith("a-file is a file, not a directory")


def test_a_warehouse_in_a_directory_without_permission_is_one_line(runner, generated_raw_dir, tmp_path):
    if os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("root without /sys: no directory root cannot write")
        locked = Path("/sys")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    result = runner.invoke(cli.main, ["build", "--raw-dir", str(generated_raw_dir),
                                      "--database", str(locked / "wh.duckdb")])
    assert result.exit_code == 1
    assert "must be writable by the build" in _only_line(result.output)


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from sales_kpis import cli
cli.main(sys.argv[2:])
"""


def test_a_full_disk_is_one_line_and_leaves_nothing_behind(built_warehouse, tmp_path):
    """The build's copy of the published warehouse does not fit: no traceback, no staging file, no WAL."""
    published = copy_warehouse(built_warehouse.database, tmp_path / "wh.duckdb")
    limit = published.stat().st_size // 3
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(limit), "build", "--raw-dir",
                           str(built_warehouse.raw_dir), "--database", str(published), "--as-of", built_warehouse.as_of],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    line = [line for line in done.stdout.splitlines() if line.startswith("not published")]
    assert line and "File too large (no room left for the warehouse" in line[0], done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["wh.duckdb", "wh.duckdb.lock"]


# --------------------------------------------------------------------------- files that say what is wrong with them


def test_an_empty_file_is_named_empty(runner, generated_raw_dir, tmp_path):
    raw = copy_raw(generated_raw_dir, tmp_path / "raw", exclude=["accounts"])
    (raw / "accounts.csv").write_bytes(b"")
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(raw)])
    assert "error accounts: empty_file - accounts.csv is empty (0 bytes: no header, no rows)" in result.output
    assert "missing_column" not in result.output


def test_a_latin1_file_is_named_not_utf8(runner, generated_raw_dir, tmp_path):
    raw = copy_raw(generated_raw_dir, tmp_path / "raw", exclude=["accounts"])
    with duckdb.connect() as connection:
        connection.execute(f"copy (select * from read_parquet('{generated_raw_dir / 'accounts.parquet'}')) "
                           f"to '{raw / 'accounts.csv'}' (header)")
    text = (raw / "accounts.csv").read_text()
    first_name = text.splitlines()[1].split(",")[1]
    (raw / "accounts.csv").write_bytes(text.replace(first_name, "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale").encode("latin-1"))
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(raw)])
    line = next(line for line in result.output.splitlines() if "unreadable_file" in line)
    assert "This file is not utf-8 encoded" in line and line.endswith("Save the file as UTF-8 (CSV files are read as UTF-8).")

