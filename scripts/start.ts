// npm start — the main command. With no DATABASE_URL it starts an embedded
// PostgreSQL under .data/pg; it migrates, generates the default synthetic studio
// through the real ingest contract (ledger.stage_report), processes it with the
// real worker, then serves HTTP ingest and GraphQL (with GraphiQL) and keeps a
// worker running, and prints what to open and try. A second run reuses the data.
//   --reset      wipe the database first (refused for non-local database hosts)
//   --no-serve   stop after processing (CI, scripting)
//   --port N     HTTP port (default $PORT or 4000)
import pg from "pg";
import { migrateDatabase } from "../lib/migrate.js";
import { databaseName, dropDatabase } from "../lib/db.js";
import { DEFAULT_GENERATOR, projectNames } from "../lib/generator.js";
import { deliverStudio, processQueued } from "../lib/studio.js";
import { checkToken, createToken, revokeToken } from "../lib/tokens.js";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../lib/migrate.js";

const t0 = Date.now();
const args = process.argv.slice(2);
const log = (m: string) => console.log(`buildledger: ${m}`);
const serve = !args.includes("--no-serve");
const reset = args.includes("--reset");
const portArg = args.indexOf("--port");
const port = Number(portArg >= 0 ? args[portArg + 1] : process.env.PORT ?? 4000);
process.env.GRAPHILE_ENV ??= "development";

let url = process.env.DATABASE_URL;
let stopDb = async () => {};
if (!url) {
  const { startEmbedded } = await import("../lib/embedded.js");
  const e = await startEmbedded(log);
  url = e.url;
  stopDb = e.stop;
  log(`embedded PostgreSQL 15 is up (data in .data/pg)`);
}
const cleanup: (() => Promise<void>)[] = [];
const shutdown = async (code = 0) => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  await stopDb().catch(() => {});
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
// `npm start` exits on SIGTERM without passing it on, which would leave this process
// (under tsx) with the server and the embedded PostgreSQL running. So the launcher is
// watched too: when the process that started tsx is gone, everything is stopped.
{
  const ppidOf = (pid: number) => {
    try { return Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]); } catch { return 0; }
  };
  const launcher = ppidOf(process.ppid);
  if (launcher > 1) {
    setInterval(() => {
      if (!existsSync(`/proc/${launcher}`) || ppidOf(process.ppid) !== launcher) void shutdown(0);
    }, 1000).unref();
  }
}

function bar(what: string) {
  const tty = process.stdout.isTTY;
  let last = 0;
  return (d: number, t: number, unit: string) => {
    const now = Date.now();
    if (d < t && now - last < (tty ? 100 : 3000)) return;
    last = now;
    const line = `${what}: ${d}/${t} ${unit} [${"#".repeat(Math.round((24 * d) / Math.max(1, t))).padEnd(24, ".")}]`;
    if (tty) process.stdout.write(`\r${line}\x1b[K${d >= t ? "\n" : ""}`);
    else console.log(line);
  };
}

/**
 * The demo token for project atlas: kept in .data/demo-token.json (per database) and
 * reused while it is valid, so each start does not mint another valid token.
 */
async function demoToken(pool: pg.Pool, dbUrl: string): Promise<string> {
  const file = path.join(ROOT, ".data", "demo-token.json");
  const saved = await readFile(file, "utf8").then((t) => JSON.parse(t) as Record<string, string>, () => ({} as Record<string, string>));
  const key = dbUrl.replace(/:[^:@/]*@/, "@"); // no password in the file
  if (saved[key] && (await checkToken(pool, saved[key])).ok) return saved[key];
  await revokeToken(pool, "demo", "atlas");
  const { token } = await createToken(pool, "atlas", "demo");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ ...saved, [key]: token }, null, 1), { mode: 0o600 });
  return token;
}

try {
  if (reset) {
    const host = new URL(url).hostname;
    if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
      throw new Error(`--reset refuses to wipe a database on "${host}"; only local databases can be reset`);
    }
    log(`--reset: dropping database ${databaseName(url)}`);
    await dropDatabase(url, databaseName(url));
  }
  await migrateDatabase(url, log);
  const pool = new pg.Pool({ connectionString: url, max: 2 }).on("error", () => {});
  cleanup.push(() => pool.end());
  const projects = projectNames(DEFAULT_GENERATOR.projects);
  const { rows: [have] } = await pool.query(
    "select count(*)::int as n from ledger.snapshot where project = any($1::text[])", [projects]);
  if (have.n === 0) {
    log(`generating the synthetic studio: ${DEFAULT_GENERATOR.projects} projects × ${DEFAULT_GENERATOR.builds} builds, ~${DEFAULT_GENERATOR.issuesPerBuild} issues each (seed ${DEFAULT_GENERATOR.seed})`);
    const n = await deliverStudio(DEFAULT_GENERATOR, { kind: "sql", pool }, bar("staging"));
    log(`staged ${n} reports through ledger.stage_report`);
  } else {
    log(`reusing ${have.n} snapshots already in the database (npm start -- --reset starts over)`);
  }
  await processQueued(url, bar("worker"));

  const { rows: [sum] } = await pool.query(
    `select count(distinct (project, stream))::int as timelines, count(*)::int as snapshots,
            (select count(*)::int from ledger.issue_instance) as issues,
            (select count(*)::int from ledger.issue_presence_interval) as intervals
       from ledger.snapshot`);
  log(`ledger ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${sum.timelines} timelines, ${sum.snapshots} snapshots, ${sum.issues} issues, ${sum.intervals} presence intervals`);
  const { rows: [latest] } = await pool.query(
    "select max(cl)::text as cl, (select max(cl) from ledger.changelist_metrics where project = 'atlas' and cl < (select max(cl) from ledger.changelist_metrics where project = 'atlas'))::text as prev from ledger.changelist_metrics where project = 'atlas'");

  if (!serve) {
    await shutdown(0);
  } else {
    const { buildServer } = await import("../server/app.js");
    const { startWorker } = await import("../worker/index.js");
    const srv = await buildServer({ databaseUrl: url, production: false, logger: { level: "warn" } });
    cleanup.push(() => srv.close());
    const w = await startWorker({ databaseUrl: url, handleSignals: false, log: () => {} });
    cleanup.push(() => w.stop());
    // A local webhook receiver for the demo subscription: checks the HMAC signature and
    // prints what arrived (a real receiver would also ignore an Idempotency-Key it has seen).
    const { DEMO_WEBHOOK_SECRET, seedSubscriptionDemo, seedTriageDemo } = await import("../lib/demo-triage.js");
    const { signBody } = await import("../worker/notify.js");
    await srv.app.register(async (scope) => {
      scope.addContentTypeParser("application/json", { parseAs: "string" }, (_r, body, done) => done(null, body));
      scope.post("/demo/webhook", async (req) => {
        const body = String(req.body);
        const ok = req.headers["x-buildledger-signature"] === signBody(DEMO_WEBHOOK_SECRET, body);
        const m = JSON.parse(body) as { cl: number; counts: Record<string, number> };
        log(`demo webhook: CL ${m.cl} ${JSON.stringify(m.counts)} (signature ${ok ? "ok" : "BAD"}, key ${req.headers["idempotency-key"]})`);
        return { ok };
      });
    });
    await srv.app.listen({ port, host: "127.0.0.1" });
    const token = await demoToken(pool, url);
    const base = `http://127.0.0.1:${port}`;
    const triaged = await seedTriageDemo(pool);
    await seedSubscriptionDemo(pool, `${base}/demo/webhook`);
    // the latest atlas snapshot notifies the demo subscription (once: the outbox key is per snapshot)
    const { rows: [queued] } = await pool.query(
      `select ledger_private.notify_snapshot(max(snapshot_id)) as n from ledger.snapshot
        where project = 'atlas' and cl = (select max(cl) from ledger.snapshot where project = 'atlas' and state = 'done')`);
    if (triaged || queued.n) log(`demo triage: ${triaged} new triage events, ${queued.n} notification(s) queued for the demo webhook`);
    const psqlUrl = url.replace(/^postgres:/, "postgresql:");
    console.log(`
buildledger is running.

GraphQL   ${base}/graphql      (GraphiQL in the browser: ${base}/graphiql)
  curl -s ${base}/graphql -H 'content-type: application/json' \\
    -d '{"query":"{ allChangelistMetrics(condition: {project: \\"atlas\\"}, orderBy: CL_DESC, first: 3) { nodes { cl total new resolved } } }"}'

psql      psql '${psqlUrl}'
  select cl, total, new, resolved from ledger.changelist_metrics where project = 'atlas' order by cl desc limit 5;
  select status, count(*) from ledger.diff('atlas', ${latest.prev}, ${latest.cl}) group by status;
  select path, open_count, new_count, resolved_count from ledger.rollup('atlas', ${latest.cl}, 3) order by open_count desc limit 5;

Ingest    curl -s ${base}/v1/reports -H 'authorization: Bearer ${token}' -H 'content-type: application/json' \\
    -d '{"project":"atlas","changelist":${Number(latest.cl) + 1},"build":{"id":"demo-${Number(latest.cl) + 1}","status":"partial","covered_paths":["eu-build-01/atlas/audio/demo"]},"issues":[{"path":"eu-build-01/atlas/audio/demo/click.wav","severity":"error","message":"Missing audio cue UI_Click_03"}]}'
          (a partial build vouching only for audio/demo: one new error, nothing else changes;
           the demo token is kept in .data/ and reused; more with: npx buildledger token create <project>)
Gate      npx buildledger gate --project atlas --cl ${Number(latest.cl) + 1} --wait 30
Triage    psql: select issue_id, acknowledged, assignee, suppressed, suppress_reason, regressed from ledger.issue_triage;
          select * from ledger.notification_log;   (the demo webhook prints deliveries here)

Health    ${base}/healthz   ${base}/readyz   ${base}/metrics
Grafana   docker compose up   (then http://localhost:3000, dashboards in the "buildledger" folder; see README)

Ctrl-C stops the server, the worker${process.env.DATABASE_URL ? "" : " and the embedded PostgreSQL"}.`);
  }
} catch (e) {
  console.error(`buildledger: ${(e as Error).message}`);
  await shutdown(1);
}
