#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the postgres target and
# prints the environment to export (eval "$(scripts/ci/start_postgres.sh)").
# Idempotent: an existing cluster in the same directory is reused (started if
# stopped); the role and the database are created when missing.
#
#   SALES_KPIS_PG_DIR       scratch directory of the cluster (default /tmp/sales-kpis-pg)
#   SALES_KPIS_PG_PORT      TCP port on 127.0.0.1 (default 55432)
#   SALES_KPIS_PG_USER      role the project connects as (default sales_kpis)
#   SALES_KPIS_PG_PASSWORD  its password (default: a random one, kept in the cluster directory)
#   SALES_KPIS_PG_DATABASE  database (default sales_kpis)
#   PG_BIN                  PostgreSQL binaries (default: the newest /usr/lib/postgresql/*/bin)
#
# Every connection needs a password (scram-sha-256, over the socket as over
# TCP): no local user is let in as the superuser for being local. The
# superuser `postgres` gets a random password (exported as
# SALES_KPIS_PG_SUPERUSER_PASSWORD for the tests that create roles); the
# socket lives in a directory only the server's user may enter (0700), and
# the passwords in files only it may read (0600).
#
# As root the server runs as the `postgres` OS user (PostgreSQL refuses root);
# otherwise as the current user. Progress goes to stderr, exports to stdout.
set -euo pipefail
umask 077

DIR=${SALES_KPIS_PG_DIR:-/tmp/sales-kpis-pg}
PORT=${SALES_KPIS_PG_PORT:-55432}
ROLE=${SALES_KPIS_PG_USER:-sales_kpis}
DATABASE=${SALES_KPIS_PG_DATABASE:-sales_kpis}
SOCKET_DIR=${DIR}/socket
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

random_password() {
    od -An -N18 -tx1 /dev/urandom | tr -d ' \n'
}

mkdir -p "${DIR}" "${SOCKET_DIR}"
chmod 0700 "${DIR}" "${SOCKET_DIR}"
if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "${DIR}" "${SOCKET_DIR}"
fi
# The passwords, made once per cluster and kept beside it (0600).
[[ -s "${DIR}/superuser.password" ]] || random_password > "${DIR}/superuser.password"
if [[ -n "${SALES_KPIS_PG_PASSWORD:-}" ]]; then
    printf '%s' "${SALES_KPIS_PG_PASSWORD}" > "${DIR}/role.password"
elif [[ ! -s "${DIR}/role.password" ]]; then
    random_password > "${DIR}/role.password"
fi
SUPERUSER_PASSWORD=$(cat "${DIR}/superuser.password")
PASSWORD=$(cat "${DIR}/role.password")
if [[ $(id -u) -eq 0 ]]; then
    chown postgres:postgres "${DIR}/superuser.password" "${DIR}/role.password"
fi

if [[ ! -f "${DIR}/data/PG_VERSION" ]]; then
    echo "initdb: ${DIR}/data" >&2
    as_server_user "${PG_BIN}/initdb" -D "${DIR}/data" -U postgres --pwfile="${DIR}/superuser.password" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "${DIR}/initdb.log" 2>&1 \
        || { cat "${DIR}/initdb.log" >&2; exit 1; }
fi
if grep -Eq '^[^#]*[[:space:]]trust([[:space:]]|$)' "${DIR}/data/pg_hba.conf"; then
    echo "error: ${DIR}/data/pg_hba.conf lets some connections in without a password (a cluster made by an" \
        "older version of this script): remove ${DIR} (stop_postgres.sh --clean) and start again" >&2
    exit 1
fi

if as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" status > /dev/null 2>&1; then
    echo "postgres: already running in ${DIR}" >&2
else
    echo "postgres: starting on 127.0.0.1:${PORT}" >&2
    # Settings for a throwaway CI server: durability off (nothing to keep).
    as_server_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" -l "${DIR}/server.log" -w start -o \
        "-c listen_addresses=127.0.0.1 -c port=${PORT} -c unix_socket_directories=${SOCKET_DIR} -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        > /dev/null || { tail -n 30 "${DIR}/server.log" >&2; exit 1; }
fi

psql_admin() {
    PGPASSWORD="${SUPERUSER_PASSWORD}" psql -X -q -v ON_ERROR_STOP=1 -h "${SOCKET_DIR}" -p "${PORT}" -U postgres "$@"
}

# Names and passwords reach SQL as psql variables, quoted by format() (%I, %L).
psql_admin -d postgres -v role="${ROLE}" -v password="${PASSWORD}" -v database="${DATABASE}" <<'SQL'
select format('create role %I login password %L', :'role', :'password')
where not exists (select 1 from pg_roles where rolname = :'role') \gexec
select format('alter role %I password %L', :'role', :'password') \gexec
select format('create database %I owner %I', :'database', :'role')
where not exists (select 1 from pg_database where datname = :'database') \gexec
SQL

cat <<ENV
export SALES_KPIS_TARGET=postgres
export SALES_KPIS_PG_HOST=127.0.0.1
export SALES_KPIS_PG_PORT=${PORT}
export SALES_KPIS_PG_USER=${ROLE}
export SALES_KPIS_PG_PASSWORD=${PASSWORD}
export SALES_KPIS_PG_DATABASE=${DATABASE}
export SALES_KPIS_PG_DIR=${DIR}
export SALES_KPIS_PG_SOCKET_DIR=${SOCKET_DIR}
export SALES_KPIS_PG_SUPERUSER_PASSWORD=${SUPERUSER_PASSWORD}
ENV
