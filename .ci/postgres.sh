# Sourced by .ci/run: start a private PostgreSQL cluster on a free port and export PG_URL.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chown postgres "$PG_DIR"
su postgres -c "$PG_BIN/initdb -D $PG_DIR/data -A trust -U postgres >/dev/null"
su postgres -c "$PG_BIN/pg_ctl -D $PG_DIR/data -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1' -w start >/dev/null"
trap 'su postgres -c "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast stop" >/dev/null 2>&1 || true' EXIT
su postgres -c "psql -h 127.0.0.1 -p $PG_PORT -U postgres -c 'CREATE DATABASE productivity_test' >/dev/null"
export PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/productivity_test"
