// 20 concurrent posters across 4 projects post 2,000 reports over HTTP while a
// worker processes them: every report becomes exactly one snapshot, processed
// exactly once, and the ledger equals what the SPEC defines for the final set.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { drainQueue, startWorker, type RunningWorker } from "../worker/index.js";
import { cloneDatabase, intervalsOffSpec } from "./helpers/db.js";
import { post, startService, token, type Service } from "./helpers/service.js";

const PROJECTS = ["atlas", "borealis", "cinder", "dune"];
const POSTERS = 20;
const REPORTS = Number(process.env.LOAD_REPORTS ?? 2000);

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let svc: Service;
let worker: RunningWorker;
let sql: pg.Pool;
const processed = new Map<number, number>();

beforeAll(async () => {
  db = await cloneDatabase();
  svc = await startService(db.url, { graphql: false, ratePerMinute: 0 });
  sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
});
afterAll(async () => {
  await worker?.stop();
  await svc?.close();
  await sql?.end();
  await db?.drop();
});

it(`${POSTERS} posters, ${PROJECTS.length} projects, ${REPORTS} reports: each processed exactly once`, async () => {
  const tokens = Object.fromEntries(await Promise.all(PROJECTS.map(async (p) => [p, await token(db.url, p)])));
  worker = await startWorker({
    databaseUrl: db.url, handleSignals: false, concurrency: 4,
    log: (msg, extra) => {
      if (msg === "processed snapshot") processed.set(Number(extra!.snapshot_id), (processed.get(Number(extra!.snapshot_id)) ?? 0) + 1);
    },
  });
  const t0 = Date.now();
  // Poster k posts to project k % 4; report j of a project is CL j+1. Issues churn per CL.
  const perProject = REPORTS / PROJECTS.length;
  const postersPerProject = POSTERS / PROJECTS.length;
  const ids = new Set<number>();
  let expectedRaw = 0;
  await Promise.all(Array.from({ length: POSTERS }, async (_, k) => {
    const project = PROJECTS[k % PROJECTS.length];
    for (let cl = 1 + Math.floor(k / PROJECTS.length); cl <= perProject; cl += postersPerProject) {
      const issues = [];
      for (let i = 0; i < 6; i++) {
        if ((i * 3 + cl) % 4 === 0) continue;
        issues.push({ path: `srv/${project}/team${i % 3}/asset${i}.uasset`, severity: "warning", message: `Broken ref ${i} (took ${cl % 9}.5s)` });
      }
      expectedRaw += issues.length;
      const r = await post(svc.base, JSON.stringify({ project, changelist: cl, build: { id: `ci-${cl}` }, issues }), { token: tokens[project] });
      expect(r.status).toBe(202);
      ids.add(Number(r.json.snapshot_id));
    }
  }));
  expect(ids.size).toBe(REPORTS);
  const posted = Date.now();
  await drainQueue(db.url, { timeoutMs: 600_000 });
  console.log(`posted ${REPORTS} reports in ${posted - t0} ms; processing finished ${Date.now() - posted} ms later`);

  const { rows: [s] } = await sql.query(
    `select count(*)::int as snapshots, count(*) filter (where state = 'done')::int as done,
            count(*) filter (where attempts = 1 and content_version = 1 and processed_version = 1)::int as once,
            sum(raw_issue_count)::int as raw, count(distinct (project, cl))::int as cls
       from ledger.snapshot`);
  expect(s).toEqual({ snapshots: REPORTS, done: REPORTS, once: REPORTS, raw: expectedRaw, cls: REPORTS });
  expect(processed.size).toBe(REPORTS);
  expect([...processed.values()].every((n) => n === 1)).toBe(true);
  expect([...processed.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  const { rows: [m] } = await sql.query("select count(*)::int as n from ledger.changelist_metrics");
  expect(m.n).toBe(REPORTS);
  for (const p of PROJECTS) {
    expect(await intervalsOffSpec(sql, p)).toBe(0);
  }
  const { rows: [j] } = await sql.query("select count(*)::int as n from graphile_worker.jobs");
  expect(j.n).toBe(0);
}, 600_000);
