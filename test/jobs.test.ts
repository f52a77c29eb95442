// Durable jobs: a worker killed with SIGKILL mid-processing and restarted leaves
// the state of a clean run; a permanently failing job shows on its snapshot while
// other projects carry on; backfill re-processes a CL range in chunks with progress;
// SIGTERM shuts the worker down gracefully.
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { drainQueue, startWorker } from "../worker/index.js";
import { databasePool, intervalsOffSpec } from "./helpers/db.js";
import { spawnWorker, waitFor } from "./helpers/service.js";

const databases = databasePool();
const freshDb = () => databases.fresh();
afterAll(() => databases.closeAll());

/** A history with a large CL in the middle, so that processing it takes seconds. */
function history(project: string) {
  const reports = [];
  for (let cl = 1; cl <= 6; cl++) {
    const n = cl === 4 ? 40000 : 300;
    const issues = [];
    for (let i = 0; i < n; i++) {
      if ((i + cl) % 7 === 0) continue;
      issues.push({ path: `srv/${project}/team${i % 5}/area${i % 11}/asset${i}.uasset`, severity: i % 3 ? "warning" : "error",
                    message: `Broken reference ${i}` });
    }
    reports.push({ project, changelist: cl, build: { id: `b${cl}` }, issues });
  }
  return reports;
}

async function state(pool: pg.Pool, project: string) {
  const iv = await pool.query(
    `select encode(ii.hash, 'hex') as h, i.start_cl, i.last_seen_cl, i.resolved_cl
       from ledger.issue_presence_interval i join ledger.issue_instance ii using (issue_id)
      where i.project = $1 order by 1, 2`, [project]);
  const m = await pool.query(`select cl, total, new, resolved from ledger.changelist_metrics where project = $1 order by cl`, [project]);
  return { intervals: iv.rows, metrics: m.rows };
}

describe("crash recovery", () => {
  it("kill -9 of the worker while it processes, then a restart, equals a clean run", async () => {
    const a = await freshDb();
    for (const r of history("crash")) await a.pool.query("select ledger.stage_report($1)", [r]);
    const { rows: [big] } = await a.pool.query("select snapshot_id from ledger.snapshot where cl = 4");

    const w1 = spawnWorker(a.url);
    const exited = new Promise((r) => w1.on("exit", r));
    await waitFor("CL 4 to be processing", async () => {
      const { rows } = await a.pool.query("select state from ledger.snapshot where snapshot_id = $1", [big.snapshot_id]);
      return rows[0].state === "processing";
    }, 60_000, 20);
    await new Promise((r) => setTimeout(r, 300));
    w1.kill("SIGKILL");
    await exited;
    const mid = await a.pool.query("select state from ledger.snapshot where snapshot_id = $1", [big.snapshot_id]);
    expect(mid.rows[0].state).not.toBe("done");            // it really died mid-processing

    const w2 = spawnWorker(a.url);
    try {
      await waitFor("all snapshots done", async () => {
        const { rows } = await a.pool.query("select count(*) filter (where state <> 'done')::int as n from ledger.snapshot");
        return rows[0].n === 0;
      }, 200_000, 200).catch((e) => { throw new Error(`${(e as Error).message}\nworker output:\n${w2.outputTail().slice(-4000)}`); });
    } finally {
      w2.kill("SIGTERM");
    }

    const b = await freshDb();
    for (const r of history("crash")) await b.pool.query("select ledger.ingest_report($1)", [r]);
    const got = await state(a.pool, "crash");
    expect(got.intervals.length).toBeGreaterThan(1000);
    expect(got).toEqual(await state(b.pool, "crash"));
    expect(await intervalsOffSpec(a.pool, "crash")).toBe(0);
  }, 300_000); // a hang guard, not a speed limit: two 40k-issue runs on a loaded 2-core machine
});

describe("failures are visible, and isolated", () => {
  it("a permanently failing job marks its snapshot failed with the error; another project is processed", async () => {
    const a = await freshDb();
    await a.pool.query(`
      create or replace function public.doom() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from new_rows n join ledger.snapshot s using (snapshot_id) where s.project = 'doomed') then
          raise exception 'disk on fire';
        end if;
        return null;
      end $$;
      create trigger doom after insert on ledger_private.issue_observation referencing new table as new_rows
        for each statement execute function public.doom();`);
    const rep = (project: string) => ({ project, changelist: 1, issues: [{ path: `s/${project}/x`, severity: "error", message: "m" }] });
    const { rows: [d] } = await a.pool.query("select ledger.stage_report($1) as id", [rep("doomed")]);
    const { rows: [h] } = await a.pool.query("select ledger.stage_report($1) as id", [rep("healthy")]);
    await a.pool.query("update graphile_worker._private_jobs set max_attempts = 2");
    const w = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {} });
    try {
      await waitFor("the doomed snapshot to fail for good", async () => {
        const { rows } = await a.pool.query("select state from ledger.snapshot where snapshot_id = $1", [d.id]);
        return rows[0].state === "failed";
      }, 60_000, 100);
    } finally {
      await w.stop();
    }
    const { rows } = await a.pool.query("select snapshot_id, state, attempts, error from ledger.snapshot order by snapshot_id");
    expect(rows).toEqual([
      { snapshot_id: String(d.id), state: "failed", attempts: 2, error: "attempt 2 of 2: disk on fire" },
      { snapshot_id: String(h.id), state: "done", attempts: 1, error: null },
    ]);
    const { rows: st } = await a.pool.query("select project, failed, done from ledger.v_timeline_status order by project");
    expect(st).toEqual([{ project: "doomed", failed: "1", done: "0" }, { project: "healthy", failed: "0", done: "1" }]);

    // The failed snapshot kept its input: once the cause is gone, `buildledger retry` re-queues it.
    await a.pool.query("drop trigger doom on ledger_private.issue_observation");
    const retry = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), "retry", String(d.id)], { env: { ...process.env, DATABASE_URL: a.url } });
      let out = "";
      p.stdout.on("data", (c) => (out += c));
      p.stderr.on("data", (c) => (out += c));
      p.on("exit", (code) => resolve({ code, out }));
    });
    expect(retry.code, retry.out).toBe(0);
    expect(retry.out).toMatch(/re-queued 1 failed snapshot/);
    const w2 = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {} });
    try {
      await waitFor("the retried snapshot to be processed", async () => {
        const { rows } = await a.pool.query("select state from ledger.snapshot where snapshot_id = $1", [d.id]);
        return rows[0].state === "done";
      }, 60_000, 100);
    } finally {
      await w2.stop();
    }
    expect(await intervalsOffSpec(a.pool, "doomed")).toBe(0);
    const again = await a.pool.query("select ledger_private.retry_snapshots($1)", [d.id]).catch((e) => e);
    expect([again.code, again.message]).toEqual(["22023", `snapshot_id: snapshot ${d.id} is done, not failed`]);
  });
});

describe("backfill", () => {
  it("re-processes a CL range in chunks as jobs, with progress, leaving the same state", async () => {
    const a = await freshDb();
    for (const r of history("bf").map((r) => ({ ...r, issues: r.issues.slice(0, 200) }))) {
      await a.pool.query("select ledger.ingest_report($1)", [r]);
    }
    for (let cl = 7; cl <= 30; cl++) {
      await a.pool.query("select ledger.ingest_report($1)", [{ project: "bf", changelist: cl,
        issues: [{ path: "srv/bf/a", severity: "info", message: `m${cl % 4}` }] }]);
    }
    const before = await state(a.pool, "bf");
    const w = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {} });
    try {
      const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), "backfill", "--project", "bf",
          "--from", "3", "--to", "25", "--chunk", "5"], { env: { ...process.env, DATABASE_URL: a.url } });
        let stderr = "";
        p.stderr.on("data", (c) => (stderr += c));
        p.on("exit", (code) => resolve({ code, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stderr).toMatch(/5\/5 chunks, 23 snapshots re-processed/);
    } finally {
      await w.stop();
    }
    const { rows } = await a.pool.query(
      "select cl, content_version, processed_version from ledger.snapshot where project = 'bf' order by cl");
    for (const r of rows) {
      const expected = Number(r.cl) >= 3 && Number(r.cl) <= 25 ? 2 : 1;
      expect([r.content_version, r.processed_version]).toEqual([expected, expected]);
    }
    expect(await state(a.pool, "bf")).toEqual(before);
  });
});

describe("a chunk job that runs again (its worker died after the commit)", () => {
  it("is skipped: the backfill's progress counts each chunk once and its end waits for the last chunk", async () => {
    const a = await freshDb();
    for (let cl = 1; cl <= 6; cl++) {
      await a.pool.query("select ledger.ingest_report($1)", [{ project: "again", changelist: cl,
        issues: [{ path: "srv/again/a", severity: "error", message: `m${cl % 3}` }] }]);
    }
    const before = await state(a.pool, "again");
    const { rows: [b] } = await a.pool.query("select ledger_private.backfill_start('again', 'main', 1, 6, 3) as id");
    const chunk = (from: number, to: number) =>
      a.pool.query("select ledger_private.backfill_chunk($1, $2, $3) as n", [b.id, from, to]).then((r) => r.rows[0].n);
    const progress = () => a.pool.query("select chunks_total, chunks_done, snapshots_done, finished_at is not null as finished from ledger_private.backfill where backfill_id = $1", [b.id]).then((r) => r.rows[0]);
    expect(await chunk(1, 3)).toBe(3);
    expect(await chunk(1, 3)).toBe(0);   // the same chunk again
    expect(await progress()).toEqual({ chunks_total: 2, chunks_done: 1, snapshots_done: 3, finished: false });
    expect(await chunk(4, 6)).toBe(3);
    expect(await chunk(4, 6)).toBe(0);
    expect(await progress()).toEqual({ chunks_total: 2, chunks_done: 2, snapshots_done: 6, finished: true });
    expect(await state(a.pool, "again")).toEqual(before);
  });
});

describe("graceful shutdown", () => {
  it("SIGTERM stops the worker with exit code 0", async () => {
    const a = await freshDb();
    const w = spawnWorker(a.url);
    let stderr = "";
    w.stderr!.on("data", (c) => (stderr += c));
    await waitFor("the worker to start", async () => stderr.includes("worker started"), 30_000, 50);
    const code = await new Promise((resolve) => { w.on("exit", resolve); w.kill("SIGTERM"); });
    expect(code).toBe(0);
  });
});
