#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the postgres target and
# prints the environment to export (eval "$(scripts/ci/start_postgres.sh)").
# Idempotent: an existing cluster in the same directory is reused (started if
# stopped); the role and the database are created when missing.
#
#   SALES_KPIS_PG_DIR       scratch directory of the cluster (default /tmp/sales-kpis-pg)
#   SALES_KPIS_PG_PORT      TCP port on 127.0.0.1 (default 55432)
#   SALES_KPIS_PG_USER      role the project connects as (default sales_kpis)
#   SALES_KPIS_PG_PASSWORD  its password (default sales_kpis; loopback only)
#   SALES_KPIS_PG_DATABASE  database (default sales_kpis)
#   PG_BIN                  PostgreSQL binaries (default: the newest /usr/lib/postgresql/*/bin)
#
# As root the server runs as the `postgres` OS user (PostgreSQL refuses root);
# otherwise as the current user. Progress goes to stderr, exports to stdout.
set -euo pipefail

DIR=${SALES_KPIS_PG_DIR:-/tmp/sales-kpis-pg}
PORT=${SALES_KPIS_PG_PORT:-55432}
ROLE=${SALES_KPIS_PG_USER:-sales_kpis}
PASSWORD=${SALES_KPIS_PG_PASSWORD:-sales_kpis}
DATABASE=${SALES_KPIS_PG_DATABASE:-sales_kpis}
if [[ -z "${PG_BIN:-}" ]]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [[ -z "${PG_BIN}" || ! -x "${PG_BIN}/initdb" ]]; then
    echo "error: no PostgreSQL server binaries (set PG_BIN, or apt-get install postgresql)" >&2
    exit 1
fi

as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

mkdir -p "${DIR}"
if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "${DIR}"
fi

if [[ ! -f "${DIR}/data/PG_VERSION" ]]; then
    echo "initdb: ${DIR}/data" >&2
    as_server_user "${PG_BIN}/initdb" -D "${DIR}/data" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "${DIR}/initdb.log" 2>&1 \
        || { cat "${DIR}/initdb.log" >&2; exit 1; }
fi

if as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" status > /dev/null 2>&1; then
    echo "postgres: already running in ${DIR}" >&2
else
    echo "postgres: starting on 127.0.0.1:${PORT}" >&2
    # Settings for a throwaway CI server: durability off (nothing to keep).
    as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" -l "${DIR}/server.log" -w start -o \
        "-c listen_addresses=127.0.0.1 -c port=${PORT} -c unix_socket_directories=${DIR} -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        > /dev/null || { tail -n 30 "${DIR}/server.log" >&2; exit 1; }
fi

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "${DIR}" -p "${PORT}" -U postgres "$@"
}

psql_admin -d postgres <<SQL
select format('create role %I login password %L', '${ROLE}', '${PASSWORD}')
where not exists (select 1 from pg_roles where rolname = '${ROLE}') \gexec
select format('alter role %I password %L', '${ROLE}', '${PASSWORD}') \gexec
select format('create database %I owner %I', '${DATABASE}', '${ROLE}')
where not exists (select 1 from pg_database where datname = '${DATABASE}') \gexec
SQL

cat <<ENV
export SALES_KPIS_TARGET=postgres
export SALES_KPIS_PG_HOST=127.0.0.1
export SALES_KPIS_PG_PORT=${PORT}
export SALES_KPIS_PG_USER=${ROLE}
export SALES_KPIS_PG_PASSWORD=${PASSWORD}
export SALES_KPIS_PG_DATABASE=${DATABASE}
export SALES_KPIS_PG_DIR=${DIR}
ENV
