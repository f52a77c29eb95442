// npm run bench:core — the ledger core at studio scale. Builds one timeline of
// BENCH_CLS changelists with BENCH_ISSUES issues each (~5% churn per CL, some of it
// recurring, paths of depth 8) through ledger.ingest_report, then prints:
//   head ingest (median ms) early and late in the history, and their ratio (the head
//   series replays a calendar of ten CLs a day with the worker's daily maintenance
//   pass: see CALENDAR);
//   middle inserts (late builds of skipped CLs); observations per second;
//   the same rows through a bare COPY into an indexed table, and the ratio;
//   bytes and dead tuples per CL, retention and the bytes kept per CL after it;
//   one 100k-issue and one 500k-issue CL, last, after the summary (BENCH_SKIP_500K=1
//   skips the latter);
//   latency of open_issues_at, diff, the treemap view, rollup and recurring_issues at
//   the latest CL, as a client round trip and server-side (EXPLAIN ANALYZE);
//   open_issues_at, diff and treemap_at at a CL in the middle (server-side); the
//   panels' queries (treemap_at, presence_timeline, team_heatmap, v_team) server-side;
//   the gate at the latest CL, flaky_issues, the refresh of one day of daily team
//   metrics and team_trends windows.
// Uses BENCH_DATABASE_URL (default: a buildledger_bench database on the local
// server), which it drops and re-creates.
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { migrateDatabase } from "../lib/migrate.js";
import { dropDatabase, databaseName } from "../lib/db.js";

const URL_ = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/buildledger_bench";
const CLS = Number(process.env.BENCH_CLS ?? 1000);
const ISSUES = Number(process.env.BENCH_ISSUES ?? 10000);
const CHURN = 0.05;
// The head series replays its calendar (ten CLs a day): on each new day the worker's
// maintenance pass runs with the raw identity cache's clock set to that day (the worker
// runs it every 15 s; what it prunes changes once a day), so the cache holds about a
// week of texts, as in production. BENCH_CALENDAR=0
// builds every CL on the one real day instead: nothing is pruned and the cache holds
// every text of the history.
const CALENDAR = process.env.BENCH_CALENDAR !== "0";
const PROJECT = "atlas";

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const TEAMS = ["audio", "rendering", "gameplay", "environment", "characters", "ui", "network", "tools"];

interface Issue { path: string; message: string; severity: string }
let nextId = 0;
function newIssue(): Issue {
  const id = nextId++;
  const team = TEAMS[id % TEAMS.length];
  const path = `eu-build-0${id % 3}/${PROJECT}/${team}/area${id % 13}/sub${id % 7}/set${id % 31}/grp${id % 97}/asset_${id}.uasset`;
  return { path, severity: id % 5 === 0 ? "error" : "warning", message: `Broken reference ${id} in ${team} package (took ${(id % 90) / 10}s)` };
}

async function main() {
  await dropDatabase(URL_, databaseName(URL_));
  await migrateDatabase(URL_);
  const c = new pg.Client({ connectionString: URL_ });
  await c.connect();

  let open: Issue[] = Array.from({ length: ISSUES }, newIssue);
  const gone: Issue[] = [];
  const history = new Map<number, Issue[]>();
  // about ten built CLs a day, so daily team metrics have days to work with
  const submittedAt = (cl: number) => new Date(Date.UTC(2026, 0, 1) + (cl - 1000) * 72 * 60_000);
  const dayOf = (cl: number) => submittedAt(cl).toISOString().slice(0, 10);
  let today = "";
  const maint: number[] = [];
  const ingest = async (cl: number, issues: Issue[]) => {
    const submitted = submittedAt(cl).toISOString();
    const report = JSON.stringify({ project: PROJECT, changelist: cl, submitted_at: submitted, build: { id: `ci-${cl}` }, issues });
    const t = performance.now();
    await c.query("select ledger.ingest_report($1::jsonb)", [report]);
    return performance.now() - t;
  };

  const head: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CLS; i++) {
    const cl = 1000 + 2 * i; // odd CLs stay unbuilt: room for late builds in the middle
    if (i > 0) {
      const k = Math.round(open.length * CHURN);
      for (let j = 0; j < k; j++) gone.push(...open.splice(Math.floor(rand() * open.length), 1));
      for (let j = 0; j < k; j++) {
        open.push(rand() < 0.3 && gone.length ? gone.splice(Math.floor(rand() * gone.length), 1)[0] : newIssue());
      }
    }
    history.set(cl, [...open]);
    if (CALENDAR) {
      // a new day of the calendar: the worker's maintenance pass as it runs that day
      // (retention, partitions, the raw identity cache's pruning), the clock set to it
      const day = dayOf(cl);
      if (day !== today) {
        today = day;
        await c.query("select set_config('buildledger.cache_today', $1, false)", [day]);
        const t = performance.now();
        await c.query("select ledger_private.storage_maintenance()");
        maint.push(performance.now() - t);
      }
    }
    head.push(await ingest(cl, open));
    if ((i + 1) % 50 === 0 || i === CLS - 1) {
      process.stdout.write(`\rbuilt ${i + 1}/${CLS} CLs (${((performance.now() - t0) / 1000).toFixed(0)} s)   `);
    }
  }
  process.stdout.write("\n");
  // what the history left behind: bytes and dead tuples per CL, before any vacuum
  await c.query("select pg_stat_force_next_flush()").catch(() => {});
  const { rows: [st] } = await c.query(
    `select pg_database_size(current_database())::float8 as bytes,
            (select coalesce(sum(n_dead_tup), 0) from pg_stat_user_tables where schemaname in ('ledger', 'ledger_private'))::float8 as dead,
            (select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_user_tables where schemaname in ('ledger', 'ledger_private'))::float8 as written`);
  const { rows: [cache] } = await c.query("select count(*)::int as n from ledger_private.raw_identity");
  await c.query("vacuum analyze");
  // late builds of skipped CLs in the middle: the neighbour's content with 5% changed
  const middle: number[] = [];
  for (let j = 0; j < 7; j++) {
    const cl = 1000 + 2 * (Math.floor(CLS / 2 + j * 3) % (CLS - 1)) + 1;   // (wraps for short BENCH_CLS runs)
    const base = [...history.get(cl - 1)!];
    for (let x = 0; x < base.length * CHURN; x++) base[Math.floor(rand() * base.length)] = newIssue();
    middle.push(await ingest(cl, base));
  }

  // bare COPY of the same number of rows into an indexed table
  await c.query("create unlogged table if not exists bench_copy (snapshot_id bigint, issue_id bigint, occurrences int, primary key (snapshot_id, issue_id))");
  const copies: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    const stream = c.query(copyFrom("copy bench_copy from stdin"));
    const lines: string[] = [];
    for (let i = 0; i < ISSUES; i++) lines.push(`${r}\t${i}\t1\n`);
    await new Promise<void>((res, rej) => { stream.on("finish", () => res()); stream.on("error", rej); stream.end(lines.join("")); });
    copies.push(performance.now() - t);
  }

  const latest = 1000 + 2 * (CLS - 1);
  const q = async (sql: string, args: unknown[]) => {
    const ts: number[] = []; let n = 0;
    for (let r = 0; r < 7; r++) { const t = performance.now(); n = (await c.query(sql, args)).rowCount ?? 0; ts.push(performance.now() - t); }
    return { ms: median(ts), rows: n };
  };
  // server-side time: EXPLAIN ANALYZE's execution time, median of 7
  const srv = async (sql: string, args: unknown[]) => {
    const ts: number[] = [];
    for (let r = 0; r < 7; r++) {
      const { rows } = await c.query(`explain (analyze, timing off, format json) ${sql}`, args);
      ts.push(rows[0]["QUERY PLAN"][0]["Execution Time"]);
    }
    return median(ts);
  };
  const sOia = await srv("select * from ledger.open_issues_at($1, $2)", [PROJECT, latest]);
  const sDiff = await srv("select * from ledger.diff($1, $2, $3)", [PROJECT, latest - 20, latest]);
  const sTree = await srv("select * from ledger.v_treemap_cl_levels8_latest where project = $1", [PROJECT]);
  const sRoll = await srv("select * from ledger.rollup($1, $2, 5, 'main', $3)", [PROJECT, latest, `eu-build-00/${PROJECT}/audio`]);
  // recurring issues as the dashboard asks for them (the 200 most recurring), and all
  const sRec = await srv("select * from ledger.recurring_issues($1, 'main', 200)", [PROJECT]);
  const rec = await q("select * from ledger.recurring_issues($1, 'main', 200)", [PROJECT]);
  const recAll = await q("select * from ledger.recurring_issues($1)", [PROJECT]);
  const sTreeAt = await srv("select * from ledger.treemap_at($1, $2)", [PROJECT, latest]);
  // the same questions at a CL in the middle of the history (the runs that hold it)
  const mid = 1000 + 2 * Math.floor(CLS / 2);
  const sOiaMid = await srv("select * from ledger.open_issues_at($1, $2)", [PROJECT, mid]);
  const sDiffMid = await srv("select * from ledger.diff($1, $2, $3)", [PROJECT, mid - 20, mid]);
  const sTreeAtMid = await srv("select * from ledger.treemap_at($1, $2)", [PROJECT, mid]);
  const sPresence = await srv("select * from ledger.presence_timeline($1)", [PROJECT]);
  const sHeat = await srv("select * from ledger.team_heatmap($1)", [PROJECT]);
  const sTeams = await srv("select * from ledger.v_team where project = $1", [PROJECT]);
  const oia = await q("select * from ledger.open_issues_at($1, $2)", [PROJECT, latest]);
  const diff = await q("select * from ledger.diff($1, $2, $3)", [PROJECT, latest - 20, latest]);
  const tree = await q("select * from ledger.v_treemap_cl_levels8_latest where project = $1", [PROJECT]);
  const roll = await q("select * from ledger.rollup($1, $2, 5, 'main', $3)", [PROJECT, latest, `eu-build-00/${PROJECT}/audio`]);
  const rollAll = await q("select * from ledger.rollup($1, $2, 3)", [PROJECT, latest]);
  const gate = await q("select ledger.gate($1, $2)", [PROJECT, latest]);
  const flaky = await q("select * from ledger.flaky_issues($1)", [PROJECT]);
  await c.query("select ledger.refresh_team_daily($1)", [PROJECT]);
  const lastDay = (await c.query("select max(day) as d from ledger_private.team_daily where project = $1", [PROJECT])).rows[0].d;
  const day = await q("select ledger_private.team_days_refresh($1, 'main', array[$2::date])", [PROJECT, lastDay]);
  const w7 = await q("select * from ledger.team_trends($1, 'main', 7)", [PROJECT]);
  const w90 = await q("select * from ledger.team_trends($1, 'main', 90)", [PROJECT]);
  // retention: keep the observations of the last ~10% of the CLs, then measure again
  await c.query(`update ledger_private.snapshot set received_at = now() - interval '30 days' where cl < $1`, [1000 + 2 * Math.floor(CLS * 0.9)]);
  await c.query("select ledger.set_retention($1, 7)", [PROJECT]);
  const tr = performance.now();
  const { rows: [ret] } = await c.query("select ledger_private.storage_maintenance() as r");
  const retMs = performance.now() - tr;
  // bytes kept: the removed rows' space is reused by later builds (or returned when a
  // whole partition empties); to count what is kept, compact the tables once here
  await c.query("vacuum (full, analyze)");
  const { rows: [kept] } = await c.query(
    `select (select sum(pg_total_relation_size(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname in ('ledger', 'ledger_private') and c.relkind in ('r', 'p', 'm', 't'))::float8 as bytes,
            pg_database_size(current_database())::float8 as db`);

  // where the kept bytes are: the largest tables with their indexes, per CL
  const { rows: byTable } = await c.query(
    `select c.relname as t, sum(pg_total_relation_size(c.oid))::float8 as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       left join pg_inherits h on h.inhrelid = c.oid
      where n.nspname = 'ledger_private' and c.relkind in ('r', 'm') and h.inhrelid is null
      group by 1 order by 2 desc limit 8`);
  const { rows: [parts] } = await c.query(
    `select coalesce(sum(pg_total_relation_size(h.inhrelid)), 0)::float8 as bytes
       from pg_inherits h where h.inhparent = 'ledger_private.issue_observation'::regclass`);
  byTable.push({ t: "issue_observation (partitions)", bytes: parts.bytes });
  byTable.sort((a, b) => b.bytes - a.bytes);
  const { rows: sizes } = await c.query(`select (select count(*) from ledger.issue_observation) obs,
    (select count(*) from ledger.issue_presence_interval) intervals, pg_size_pretty(pg_database_size(current_database())) size`);

  const early = median(head.slice(1, 21));
  const late = median(head.slice(-20));
  const fmt = (x: number) => x.toFixed(1).padStart(8);
  console.log(`
bench:core — ${CLS} CLs x ${ISSUES} issues, ${CHURN * 100}% churn, depth-8 paths
  history: ${sizes[0].obs} observations, ${sizes[0].intervals} intervals, database ${sizes[0].size}
  head ingest, CLs 2-21     median ms ${fmt(early)}
  head ingest, last 20 CLs  median ms ${fmt(late)}   (target < 250)
  late/early ratio                    ${late / early > 0 ? (late / early).toFixed(2).padStart(8) : "n/a"}   (target <= 1.1)
  ${CALENDAR ? `calendar: ${maint.length} days, maintenance pass median ms ${fmt(median(maint))}` : "calendar: off (BENCH_CALENDAR=0), every CL on one day"}; raw identity cache ${cache.n} entries after the head series
  middle insert             median ms ${fmt(median(middle))}   (target < 500)
  observations per second (head)      ${fmt(ISSUES / (late / 1000))}
  bare COPY of ${ISSUES} rows    median ms ${fmt(median(copies))}
  ingest / COPY ratio                 ${(late / median(copies)).toFixed(1).padStart(8)}
  storage after ${CLS} CLs         MB ${fmt(st.bytes / 1e6)}   (${fmt(st.bytes / CLS / 1e6)} MB per CL)
  dead tuples per CL                  ${fmt(st.dead / CLS)}   (${((st.dead / Math.max(st.written, 1)) * 100).toFixed(1)}% of the ${fmt(st.written / CLS)} rows written per CL)
  retention (keep ~10% of CLs)     ms ${fmt(retMs)}   (${ret.r.observations_removed} observations removed)
  kept after retention, per CL     MB ${fmt(kept.bytes / CLS / 1e6)}   (tables and indexes ${fmt(kept.bytes / 1e6)} MB; target <= 1 MB per CL)
  kept per CL, by table         KB ${byTable.slice(0, 6).map((r) => `${r.t} ${(r.bytes / CLS / 1e3).toFixed(0)}`).join(", ")}
  open_issues_at(latest)    median ms ${fmt(oia.ms)}   server ${fmt(sOia)}   (${oia.rows} rows; target < 20 server-side)
  diff(latest-20, latest)   median ms ${fmt(diff.ms)}   server ${fmt(sDiff)}   (${diff.rows} rows; target < 20)
  treemap view              median ms ${fmt(tree.ms)}   server ${fmt(sTree)}   (${tree.rows} rows; target < 20)
  rollup team subtree       median ms ${fmt(roll.ms)}   server ${fmt(sRoll)}   (${roll.rows} rows; target < 20)
  recurring_issues top 200  median ms ${fmt(rec.ms)}   server ${fmt(sRec)}   (${rec.rows} rows; target < 50)
  recurring_issues, all     median ms ${fmt(recAll.ms)}   (${recAll.rows} rows)
  treemap_at(latest)                  server ${fmt(sTreeAt)}   (the treemap panel's query)
  open_issues_at(middle CL)           server ${fmt(sOiaMid)}   (a CL halfway through the history)
  diff(middle-20, middle)             server ${fmt(sDiffMid)}
  treemap_at(middle CL)               server ${fmt(sTreeAtMid)}
  presence_timeline (top 25)          server ${fmt(sPresence)}   (the Gantt panel's query)
  team_heatmap (last 60 CLs)          server ${fmt(sHeat)}   (the heatmap panel's query)
  v_team (one project)                server ${fmt(sTeams)}   (the team variable)
  rollup whole tree depth 3 median ms ${fmt(rollAll.ms)}   (${rollAll.rows} rows)
  gate(latest)              median ms ${fmt(gate.ms)}   (target < 50)
  flaky_issues (20 CLs)     median ms ${fmt(flaky.ms)}   (${flaky.rows} rows)
  daily refresh of one day  median ms ${fmt(day.ms)}   (target < 1000)
  team_trends 7 days        median ms ${fmt(w7.ms)}   (${w7.rows} rows; target < 20)
  team_trends 90 days       median ms ${fmt(w90.ms)}   (${w90.rows} rows; target < 20)
`);
  // the very large CLs last: the summary above is out before they start
  // one very large CL each: 100k and 500k issues, on fresh timelines (first CL) and then
  // as the second CL of the same timeline (the head path, 5% churn)
  const big = async (n: number) => {
    const issues = Array.from({ length: n }, newIssue);
    const report = (cl: number, xs: Issue[]) => JSON.stringify({ project: `big${n}`, changelist: cl, build: { id: `b${cl}` }, issues: xs });
    let t = performance.now();
    await c.query("select ledger.ingest_report($1::jsonb)", [report(1, issues)]);
    const first = performance.now() - t;
    for (let j = 0; j < n * CHURN; j++) issues[Math.floor(rand() * n)] = newIssue();
    t = performance.now();
    await c.query("select ledger.ingest_report($1::jsonb)", [report(2, issues)]);
    return { first, second: performance.now() - t };
  };
  const b100k = await big(100_000);
  console.log(`  one 100k-issue CL (first, 2nd) ms ${fmt(b100k.first)} ${fmt(b100k.second)}   (target < 2500; the first creates every path of a new project)`);
  const b500k = process.env.BENCH_SKIP_500K ? undefined : await big(500_000);
  console.log(`  one 500k-issue CL (first, 2nd) ms ${b500k ? `${fmt(b500k.first)} ${fmt(b500k.second)}` : "  skipped"}   (target < 15000)`);
  await c.end();
}

main().catch((e) => { console.error(`bench:core: ${(e as Error).message}`); process.exit(1); });
