# Shell functions shared by the benchmarks that start `web` and a throwaway PostgreSQL
# (scripts/bench-http.sh, scripts/bench-backoffice.sh, scripts/bench-variants.sh); sourced, not
# run. They use the caller's SERVER_PID (the server started in the background), LOADGEN, and
# PG_DIR, PG_BIN, PG_ADMIN_URL, PG_EXTERNAL, PG_DATABASES and DB_URL (set by the caller to empty
# values / 0 / () before use).

# Runs a PostgreSQL tool as the `postgres` user when run as root (initdb refuses root).
as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c 'exec "$0" "$@"' "$@"
        fi
    else
        "$@"
    fi
}

# Stops the server of SERVER_PID: TERM, up to 10 s, then KILL.
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

# Prints the directory of initdb and pg_ctl (on PATH, else the newest /usr/lib/postgresql/*/bin).
find_pg_bin() {
    local initdb
    if initdb=$(command -v initdb 2>/dev/null); then
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    local best=""
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then best=$d; fi
    done
    [ -n "$best" ] && printf '%s\n' "$best"
}

# Starts a throwaway PostgreSQL server (initdb in a temporary PG_DIR, trust for user `app` on
# 127.0.0.1, a free port from $LOADGEN) with the server's durable defaults (fsync=on,
# synchronous_commit=on, full_page_writes=on), unlike the test support's throwaway server, which
# turns them off for speed. Sets PG_BIN, PG_DIR and PG_ADMIN_URL; returns 1 when PostgreSQL is
# unavailable. The caller stops it (pg_ctl stop) and removes PG_DIR.
start_pg_server() {
    PG_BIN=$(find_pg_bin) || return 1
    PG_DIR=$(mktemp -d -t wetech-bench-pg-XXXXXX)
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR"; fi
    as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U app --auth=trust -E UTF8 --no-locale \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    local port
    port=$("$LOADGEN" free-port)
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DIR" start >/dev/null ||
        { cat "$PG_DIR/postgres.log" >&2; return 1; }
    PG_ADMIN_URL="postgres://app@127.0.0.1:$port/postgres"
}

# psql as the admin role of PG_ADMIN_URL, one statement.
psql_admin() {
    local psql=psql
    if [ -n "$PG_BIN" ]; then psql=$PG_BIN/psql; fi
    "$psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_ADMIN_URL" -c "$1" >/dev/null
}

stop_postgres() {
    if [ "$PG_EXTERNAL" = 1 ]; then
        for db in "${PG_DATABASES[@]}"; do
            psql_admin "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
        done
    fi
    if [ -n "$PG_DIR" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        PG_DIR=""
    fi
}

# Sets PG_ADMIN_URL, or returns 1 when PostgreSQL is unavailable.
start_postgres() {
    if [ -n "${WETECH_TEST_POSTGRES_URL:-}" ]; then
        if ! command -v psql >/dev/null 2>&1; then
            echo "WETECH_TEST_POSTGRES_URL is set but psql is missing (needed to create the database)" >&2
            return 1
        fi
        PG_ADMIN_URL=$WETECH_TEST_POSTGRES_URL
        PG_EXTERNAL=1
        return 0
    fi
    start_pg_server
}

# new_database BACKEND DIR: sets DB_URL to a fresh database (not in a subshell: it records what to drop).
new_database() {
    case "$1" in
        sqlite) DB_URL="sqlite://$2/wetech.sqlite3" ;;
        postgres)
            local db
            db="wetech_bench_$(basename "$2" | tr -c 'a-zA-Z0-9' '_')_$$"
            psql_admin "CREATE DATABASE \"$db\""
            PG_DATABASES+=("$db")
            DB_URL="${PG_ADMIN_URL%/*}/$db"
            ;;
    esac
}

