# Sourced by the benchmark scripts (bench-backup.sh, bench-offsite.sh).
#
# bench_fill_db DB SIZE_MIB: adds to the migrated wetech SQLite database DB a table of random
# 1000-byte blobs, about SIZE_MIB MiB in all (a table of its own, which a backup keeps), leaves
# the database in WAL mode like production, and prints the number of rows added.
bench_fill_db() {
  local db=$1 rows=$(( $2 * 1024 * 1024 / 1040 ))
  sqlite3 "$db" <<SQL >/dev/null
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
CREATE TABLE bench_blobs (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows)
INSERT INTO bench_blobs (payload) SELECT randomblob(1000) FROM c;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  echo "$rows"
}
