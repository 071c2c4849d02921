"""A BI tool in miniature, for tests/test_publish.py: reads the published DuckDB file while a build runs.

Run as a separate process (as a BI tool would be):

    python publish_reader.py loop   DATABASE SQL_FILE STOP_FILE OUT_FILE [MIN_QUERIES] [AFTER_STOP]
    python publish_reader.py pinned DATABASE SQL_FILE STOP_FILE OUT_FILE

`loop`: every iteration opens a fresh read-only connection, runs the one
query in SQL_FILE, records its single row (or the error) as a JSON line in
OUT_FILE and closes the connection, as a dashboard refresh does. It stops once
STOP_FILE exists, it has made at least MIN_QUERIES queries, and at least
AFTER_STOP of them after STOP_FILE appeared.

`pinned`: one read-only connection held open for the whole build, queried at
the start and once STOP_FILE exists (a BI tool that never reconnects). It must
be its own process: DuckDB shares one open database per path within a process,
so a connection held open would make every later connect in that process see
the same (old) file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

PAUSE_SECONDS = 0.02


def main() -> None:
    mode, database, sql_file, stop_file, out_file = sys.argv[1:6]
    min_queries = int(sys.argv[6]) if len(sys.argv) > 6 else 200
    after_stop = int(sys.argv[7]) if len(sys.argv) > 7 else 20
    sql = Path(sql_file).read_text()
    stop = Path(stop_file)
    started = time.monotonic()

    with open(out_file, "w") as out:

        def record(index: int, row: tuple | None, error: str | None, stopping: bool) -> None:
            out.write(json.dumps({"i": index, "t": round(time.monotonic() - started, 3), "after_stop": stopping,
                                  "row": None if row is None else [str(value) for value in row],
                                  "error": error}) + "\n")
            out.flush()

        if mode == "pinned":
            with duckdb.connect(database, read_only=True) as connection:
                record(0, connection.execute(sql).fetchone(), None, False)
                while not stop.exists():
                    time.sleep(PAUSE_SECONDS)
                record(1, connection.execute(sql).fetchone(), None, True)
            return

        index = 0
        queries_after_stop = 0
        while True:
            stopping = stop.exists()
            try:
                with duckdb.connect(database, read_only=True) as connection:
                    row = connection.execute(sql).fetchone()
                record(index, row, None, stopping)
            except Exception as error:  # every error is a finding: record it and go on
                record(index, None, f"{type(error).__name__}: {error}", stopping)
            index += 1
            if stopping:
                queries_after_stop += 1
                if index >= min_queries and queries_after_stop >= after_stop:
                    break
            time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    main()
