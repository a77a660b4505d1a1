#!/usr/bin/env bash
# Creates the example database if missing, runs setup.sql (the tenant
# registry control.tenants) and registers tenants tenant_0001..tenant_N.
# Idempotent: run it again with a larger N to add tenants. Needs only psql.
set -euo pipefail

default_url='postgres://postgres@127.0.0.1:5432/strata_tenants?sslmode=disable'

usage() {
    cat <<USAGE
usage: $(basename "$0") N [DATABASE_URL]

Creates the database of DATABASE_URL if it does not exist, runs setup.sql and
registers N tenants, tenant_0001 .. tenant_N, in control.tenants (tenants
already registered are left as they are). The tenant schemas are created by
'strata migrate', not by this script.

DATABASE_URL defaults to \$DATABASE_URL, else
  $default_url

Examples:
  $(basename "$0") 50
  $(basename "$0") 51      # adds tenant_0051 only
  $(basename "$0") 10 'postgres://postgres@127.0.0.1:5432/other_db?sslmode=disable'
USAGE
}

die() {
    echo "$(basename "$0"): $*" >&2
    exit 2
}

if [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]]; then
    usage
    exit 0
fi
if [[ $# -lt 1 || $# -gt 2 ]]; then
    usage >&2
    exit 2
fi

n=$1
url=${2:-${DATABASE_URL:-$default_url}}
[[ $n =~ ^[0-9]+$ ]] && (( 10#$n >= 1 )) || die "N must be a positive integer, got '$n'"
n=$((10#$n))

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Split postgres://user@host:port/dbname?params into its parts, to connect to
# the maintenance database "postgres" on the same server.
[[ $url =~ ^postgres(ql)?:// ]] || die "DATABASE_URL must be a postgres:// URL"
base=${url%%\?*}            # without ?params
params=${url#"$base"}       # ?params, or empty
rest=${base#*://}
[[ $rest == */* ]] || die "DATABASE_URL has no database name: add /dbname"
dbname=${rest#*/}
[[ -n $dbname && $dbname != */* ]] || die "DATABASE_URL has no valid database name"
server=${base%/"$dbname"}
dbname=$(printf '%b' "${dbname//%/\\x}")   # undo %-encoding
maintenance_url="$server/postgres$params"

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# CREATE DATABASE cannot run in a function or a DO block: \gexec runs the
# statement the query returns, and the query returns none when it exists.
psql_ "$maintenance_url" -v dbname="$dbname" <<'SQL'
SELECT format('CREATE DATABASE %I', :'dbname')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname')
\gexec
SQL

psql_ "$url" -f "$here/setup.sql"

psql_ "$url" -v n="$n" <<'SQL'
WITH added AS (
    INSERT INTO control.tenants (schema_name)
    SELECT 'tenant_' || lpad(i::text, greatest(4, length(i::text)), '0')
    FROM generate_series(1, :n) AS i
    ON CONFLICT (schema_name) DO NOTHING
    RETURNING 1
)
SELECT count(*) AS added FROM added
\gset
SELECT count(*) AS registered, count(*) FILTER (WHERE active) AS active
FROM control.tenants
\gset
\echo :added 'tenant(s) added;' :registered 'registered,' :active 'active'
SQL
