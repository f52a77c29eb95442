#!/usr/bin/env bash
# The whole test suite: typecheck, vitest (TypeScript, end-to-end, property tests)
# and pgTAP (the SQL). Needs a PostgreSQL server with pgTAP installed, by default
# on 127.0.0.1:5432 (override with TEST_DATABASE_URL). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
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
  read -r vp vf < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + (r.numFailedTestSuites||0))' "$out/vitest.json")
  passed=$((passed+vp)); failed=$((failed+vf))
fi
[ $vrc -ne 0 ] && [ "${vf:-0}" -eq 0 ] && failed=$((failed+1))

echo "== pgTAP"
pgtap_db="bltest_pgtap_$$"
psql "$TEST_DATABASE_URL" -qc "create database $pgtap_db template buildledger_test_template" >/dev/null
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
