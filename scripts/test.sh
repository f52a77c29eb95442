#!/usr/bin/env bash
# The whole test suite: typecheck, vitest (TypeScript, end-to-end, property tests)
# and pgTAP (the SQL). Ends with "N passed, N failed".
# PostgreSQL: with TEST_DATABASE_URL set, that server (it needs pgTAP); otherwise a
# private cluster with trust auth on a free port, made for this run from the newest
# installed PostgreSQL (Debian's postgresql + postgresql-N-pgtap; .ci/run installs
# them) and removed at the end, so the machine's own server and auth do not matter.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$bin" ]; then
    echo "no PostgreSQL installed: apt-get install postgresql postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl (or set TEST_DATABASE_URL)"
    echo "0 passed, 1 failed"; exit 1
  fi
  port=55400
  while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  pgdata="$(mktemp -d /tmp/buildledger-test-pg.XXXXXX)"
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
  run_pg "$bin/initdb" -D "$pgdata/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_pg "$bin/pg_ctl" -D "$pgdata/db" -l "$pgdata/server.log" -w \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null || {
    cat "$pgdata/server.log"; echo "0 passed, 1 failed"; exit 1; }
  trap 'run_pg "$bin/pg_ctl" -D "$pgdata/db" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdata"' EXIT
  trap 'exit 130' INT TERM   # so that the EXIT trap removes the cluster on Ctrl-C or kill too
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PATH="$bin:$PATH"
  echo "== private PostgreSQL $(basename "$(dirname "$bin")") on port $port"
fi
out=$(mktemp -d)
passed=0; failed=0

echo "== typecheck"
if npx tsc -p . ; then passed=$((passed+1)); else failed=$((failed+1)); echo "typecheck failed"; fi

echo "== docker compose config"
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
services=$("${compose[@]}" --profile demo config --services 2>&1)
if "${compose[@]}" config -q && grep -qx demo <<<"$services" && grep -qx grafana <<<"$services"; then
  passed=$((passed+1)); echo "ok: docker-compose.yml is valid"
else
  failed=$((failed+1)); echo "not ok: docker-compose.yml does not validate"
fi

echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json"
vrc=$?
if [ -s "$out/vitest.json" ]; then
  # Tests are counted as tests; a test file that failed without a failed test (it did
  # not load, or a hook threw) counts as one failure so the run still fails.
  read -r vp vf < <(node -e 'const r=require(process.argv[1]);
    const broken=(r.testResults||[]).filter((s)=>s.status==="failed"&&!(s.assertionResults||[]).some((a)=>a.status==="failed")).length;
    console.log(r.numPassedTests, r.numFailedTests + broken)' "$out/vitest.json")
  passed=$((passed+vp)); failed=$((failed+vf))
fi
[ $vrc -ne 0 ] && [ "${vf:-0}" -eq 0 ] && failed=$((failed+1))

echo "== pgTAP"
pgtap_db="bltest_pgtap_$$"
psql "$TEST_DATABASE_URL" -qc "create database $pgtap_db template ${BUILDLEDGER_TEST_TEMPLATE:-buildledger_test_template}" >/dev/null
dburl="${TEST_DATABASE_URL%/*}/$pgtap_db"
psql "$dburl" -qc "create extension if not exists pgtap" >/dev/null
pg_prove -d "$pgtap_db" -h "$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$TEST_DATABASE_URL")" \
  -p "$(node -e 'console.log(new URL(process.argv[1]).port||5432)' "$TEST_DATABASE_URL")" \
  -U "$(node -e 'console.log(new URL(process.argv[1]).username||"postgres")' "$TEST_DATABASE_URL")" \
  --verbose test/pgtap/*.sql > "$out/pgtap.txt" 2>&1
prc=$?
grep -E "^(not ok|# |Files=|Result|test/)" "$out/pgtap.txt" | grep -v "^# " | tail -40
grep -E "^\s*not ok|Dubious|Failed" "$out/pgtap.txt" | head -20
pp=$(grep -cE "^ok [0-9]" "$out/pgtap.txt"); pf=$(grep -cE "^not ok [0-9]" "$out/pgtap.txt")
passed=$((passed+pp)); failed=$((failed+pf))
[ $prc -ne 0 ] && [ "$pf" -eq 0 ] && failed=$((failed+1))
psql "$TEST_DATABASE_URL" -qc "drop database if exists $pgtap_db with (force)" >/dev/null

echo "== fault and load suite (npm run test:faults)"
npx tsx scripts/faults.ts > "$out/faults.txt" 2>&1
frc=$?
sed -n '/^case /,$p' "$out/faults.txt"
if read -r fp ff < <(sed -n 's/^faults-result: \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$out/faults.txt"); then
  passed=$((passed+fp)); failed=$((failed+ff))
  [ $frc -ne 0 ] && [ "$ff" -eq 0 ] && failed=$((failed+1))
else
  tail -30 "$out/faults.txt"; failed=$((failed+1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
