// Worker recovery without a person (issue 9): dead-worker detection never touches a
// live worker's job, runs periodically in live workers (not only at start), and a
// worker whose database connections all die comes back by itself and finishes the work.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../worker/index.js";
import { withDatabase } from "../lib/db.js";
import { cloneDatabase, intervalsOffSpec, SERVER_URL } from "./helpers/db.js";
import { waitFor } from "./helpers/service.js";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});
async function freshDb() {
  const db = await cloneDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
  cleanups.push(() => db.drop(), () => pool.end());
  return { ...db, pool };
}
async function worker(url: string, extra: Partial<Parameters<typeof startWorker>[0]> = {}): Promise<RunningWorker> {
  const w = await startWorker({ databaseUrl: url, handleSignals: false, log: () => {}, maintenanceMs: 200, ...extra });
  cleanups.push(() => w.stop());
  return w;
}
const report = (project: string, cl: number, n = 50) => ({
  project, changelist: cl, build: { id: `b${cl}` },
  issues: Array.from({ length: n }, (_, i) => ({ path: `srv/${project}/t${i % 4}/a${(i + cl) % n}`, severity: "warning", message: `w${i % 7}` })),
});
/** Makes processing of `project` take `seconds` (a statement trigger that sleeps). */
async function slowProject(pool: pg.Pool, project: string, seconds: number) {
  await pool.query(`
    create or replace function public.slow() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from new_rows n join ledger.snapshot s using (snapshot_id) where s.project = '${project}') then
        perform pg_sleep(${seconds});
      end if;
      return null;
    end $$;
    create trigger slow after insert on ledger_private.issue_observation referencing new table as new_rows
      for each statement execute function public.slow();`);
}

describe("dead-worker detection", () => {
  it("a second worker, even with no grace period, never frees a live worker's running job", async () => {
    const a = await freshDb();
    await slowProject(a.pool, "slow", 4);
    const { rows: [s] } = await a.pool.query("select ledger.stage_report($1) as id", [report("slow", 1)]);
    const w1 = await worker(a.url, { deadGraceSeconds: 0 });
    const lockedBy = await waitFor("the job to be running", async () => {
      const { rows } = await a.pool.query(
        "select j.locked_by from graphile_worker.jobs j join ledger.snapshot sn on sn.state = 'processing' and sn.snapshot_id = $1 where j.locked_by is not null", [s.id]);
      return rows[0]?.locked_by as string | undefined;
    }, 30_000, 50);
    expect(lockedBy).toMatch(/^pool-/);
    const w2 = await worker(a.url, { deadGraceSeconds: 0 });
    await w2.maintain();
    await w2.maintain();
    const { rows: still } = await a.pool.query("select locked_by, attempts from graphile_worker.jobs where task_identifier = 'process_snapshot'");
    expect(still).toEqual([{ locked_by: lockedBy, attempts: 1 }]);
    await waitFor("the snapshot to be processed", async () => {
      const { rows } = await a.pool.query("select state, attempts from ledger.snapshot where snapshot_id = $1", [s.id]);
      return rows[0].state === "done" ? rows[0] : undefined;
    }, 30_000);
    const { rows: [done] } = await a.pool.query("select attempts from ledger.snapshot where snapshot_id = $1", [s.id]);
    expect(done.attempts).toBe(1); // one run, never a second
    await w1.stop();
    await w2.stop();
  });

  it("a live worker frees the jobs of a pool that died, on its periodic pass", async () => {
    const a = await freshDb();
    const w = await worker(a.url);
    await w.stop(); // a worker that is up, then the dead pool's job appears
    const { rows: [s] } = await a.pool.query("select ledger.stage_report($1) as id", [report("orphan", 1)]);
    // What a worker killed with -9 leaves behind: its job and queue locked by its pool.
    // (graphile-worker's private tables are touched here only to fake that crash)
    await a.pool.query(`update graphile_worker._private_jobs set locked_by = 'pool-dead', locked_at = now() - interval '1 minute'`);
    await a.pool.query(`update graphile_worker._private_job_queues set locked_by = 'pool-dead', locked_at = now() - interval '1 minute'`);
    const { rows: locked } = await a.pool.query("select locked_by from graphile_worker.jobs");
    expect(locked).toEqual([{ locked_by: "pool-dead" }]);
    const live = await worker(a.url);
    await waitFor("the orphaned snapshot to be processed", async () => {
      const { rows } = await a.pool.query("select state from ledger.snapshot where snapshot_id = $1", [s.id]);
      return rows[0].state === "done";
    }, 30_000);
    await live.stop();
  });
});

describe("the lease session", () => {
  it("lost while new connections fail, it is re-opened within seconds of the database taking them again, not on the next maintenance pass", async () => {
    const a = await freshDb();
    // an observer connected to the database before it refuses new connections, and an
    // administrator connected elsewhere (a database cannot refuse its own session)
    const admin = new pg.Client({ connectionString: a.url });
    await admin.connect();
    const dbName = (await admin.query("select current_database() as d")).rows[0].d;
    const other = new pg.Client({ connectionString: withDatabase(SERVER_URL, "postgres") });
    await other.connect();
    try {
      await worker(a.url, { maintenanceMs: 120_000 });
      const live = async () => (await admin.query(
        `select count(*)::int as n from ledger_private.worker_lease l join pg_stat_activity s
            on s.pid = l.backend_pid and s.backend_start = l.backend_start`)).rows[0].n > 0;
      await waitFor("the lease", live, 10_000, 100);
      await other.query(`alter database "${dbName}" allow_connections false`);
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'buildledger-worker-lease' and datname = current_database()");
      await new Promise((r) => setTimeout(r, 2_500));   // re-opening fails meanwhile
      expect(await live()).toBe(false);
      await other.query(`alter database "${dbName}" allow_connections true`);
      await waitFor("the lease to be re-opened", live, 8_000, 100);
    } finally {
      await other.query(`alter database "${dbName}" allow_connections true`).catch(() => {});
      await other.end();
      await admin.end();
    }
  });
});

describe("losing the database", () => {
  it("every connection of the worker terminated mid-processing: it comes back by itself and finishes", async () => {
    const a = await freshDb();
    await slowProject(a.pool, "lost", 2);
    for (let cl = 1; cl <= 4; cl++) await a.pool.query("select ledger.stage_report($1)", [report("lost", cl)]);
    const w = await worker(a.url, { concurrency: 2 });
    await waitFor("processing to start", async () => {
      const { rows } = await a.pool.query("select count(*)::int as n from ledger.snapshot where state = 'processing'");
      return rows[0].n > 0;
    }, 30_000, 50);
    // What a PostgreSQL restart does to the worker's sessions: all of them die.
    const kill = await a.pool.query(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'bltest-observer'
          and backend_type = 'client backend'`);
    expect(kill.rows[0].n).toBeGreaterThan(0);
    await waitFor("every snapshot to be processed", async () => {
      const { rows } = await a.pool.query("select count(*) filter (where state = 'done')::int as n from ledger.snapshot");
      return rows[0].n === 4;
    }, 90_000, 250);
    expect(await intervalsOffSpec(a.pool, "lost")).toBe(0);
    const { rows: jobs } = await a.pool.query("select count(*)::int as n from graphile_worker.jobs");
    expect(jobs[0].n).toBe(0);
    const { rows: lease } = await a.pool.query(
      `select count(*)::int as n from ledger_private.worker_lease l join pg_stat_activity s
          on s.pid = l.backend_pid and s.backend_start = l.backend_start`);
    expect(lease[0].n).toBeGreaterThan(0); // the lease session was re-opened
    await w.stop();
  });
});

describe("a job that cannot be marked done or failed", () => {
  // A database restart can land between a job's work and graphile-worker marking it
  // complete (or failed). That write then fails: left to graphile-worker's default, the
  // failure is an unhandled rejection (the worker process dies, or the job stays locked
  // by a live pool for 4 hours, holding its timeline's queue). The worker must instead
  // drop that pool, start a new one and finish every report, the job included.
  for (const which of ["complete", "fail"] as const) {
    it(`marking a job ${which === "complete" ? "complete" : "failed"} fails once: the worker replaces its pool and finishes everything`, async () => {
      const a = await freshDb();
      if (which === "fail") {
        // the first processing attempt of CL 2 fails (a sequence is not rolled back)
        await a.pool.query(`create sequence public.fail_proc;
          create function public.fail_proc() returns trigger language plpgsql as $f$
          begin
            if exists (select 1 from new_rows n join ledger.snapshot s using (snapshot_id) where s.project = 'mark' and s.cl = 2)
               and nextval('public.fail_proc') = 1 then raise exception 'injected processing failure'; end if;
            return null;
          end $f$;
          create trigger fail_proc after insert on ledger_private.issue_observation referencing new table as new_rows
            for each statement execute function public.fail_proc();
          grant usage on sequence public.fail_proc to public;`);
      }
      // the first write that marks a process_snapshot job done (deleted) or failed (updated) fails
      await a.pool.query(`create sequence public.fail_mark;
        create function public.fail_mark() returns trigger language plpgsql as $f$
        begin
          if old.task_id = (select id from graphile_worker._private_tasks where identifier = 'process_snapshot')
             and (tg_op = 'DELETE' or (new.last_error is not null and old.last_error is null))
             and nextval('public.fail_mark') = 1 then raise exception 'injected failure marking a job'; end if;
          return coalesce(new, old);
        end $f$;
        create trigger fail_mark before ${which === "complete" ? "delete" : "update"} on graphile_worker._private_jobs
          for each row execute function public.fail_mark();
        grant usage on sequence public.fail_mark to public;`);
      for (let cl = 1; cl <= 4; cl++) await a.pool.query("select ledger.stage_report($1)", [report("mark", cl)]);
      const events: string[] = [];
      const w = await worker(a.url, { concurrency: 2, deadGraceSeconds: 1, log: (msg) => events.push(msg) });
      await waitFor("every snapshot to be processed", async () => {
        const { rows } = await a.pool.query("select count(*) filter (where state = 'done')::int as n from ledger.snapshot");
        return rows[0].n === 4;
      }, 90_000, 250);
      await waitFor("the queue to be empty", async () =>
        (await a.pool.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'process_snapshot'")).rows[0].n === 0, 60_000, 250);
      expect((await a.pool.query("select is_called from public.fail_mark")).rows[0].is_called).toBe(true); // the failure was injected
      expect(events).toContain("worker pool restarted");
      expect(await intervalsOffSpec(a.pool, "mark")).toBe(0);
      await w.stop();
    });
  }
});
