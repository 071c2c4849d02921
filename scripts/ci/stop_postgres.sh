#!/usr/bin/env bash
# Stops the throwaway PostgreSQL server of start_postgres.sh; --clean also
# removes its directory. A server that is not running is not an error.
set -euo pipefail

DIR=${SALES_KPIS_PG_DIR:-/tmp/sales-kpis-pg}
if [[ -z "${PG_BIN:-}" ]]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi

as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [[ -f "${DIR}/data/PG_VERSION" ]] && as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" status > /dev/null 2>&1; then
    as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" -m fast -w stop > /dev/null
    echo "postgres: stopped (${DIR})" >&2
else
    echo "postgres: not running (${DIR})" >&2
fi
if [[ "${1:-}" == "--clean" ]]; then
    rm -rf "${DIR}"
    echo "postgres: removed ${DIR}" >&2
fi
