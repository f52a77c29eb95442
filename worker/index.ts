// The durable job runner (graphile-worker). Tasks:
//   process_snapshot {snapshot_id}           one staged report → ledger (per timeline queue)
//   backfill_chunk   {backfill_id, from_cl, to_cl}   re-process a CL range chunk
// Each job's SQL is idempotent, so a retry after a crash between the SQL commit and
// the job's completion changes nothing. Jobs of one timeline share a named queue and
// run one at a time; other timelines run in parallel, so one project's backlog or
// failure never holds up another. A failed attempt is written onto the snapshot;
// after the last attempt the snapshot is 'failed' with its error.
// Crash recovery: every worker registers its graphile-worker ids with the backend
// pid of a session it keeps open (ledger_private.worker_lease); at start, jobs
// locked by workers whose session is gone are unlocked at once instead of after
// graphile-worker's 4-hour lock timeout.
import pg from "pg";
import { EventEmitter } from "node:events";
import { run, type Runner, type Task, type TaskList, type WorkerEvents } from "graphile-worker";
import { quietLogger } from "../lib/migrate.js";

export interface WorkerOptions {
  databaseUrl: string;
  concurrency?: number;
  pollInterval?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** Install SIGINT/SIGTERM handlers for graceful shutdown (default true). */
  handleSignals?: boolean;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function taskList(log: NonNullable<WorkerOptions["log"]>): TaskList {
  const processSnapshot: Task = async (payload, helpers) => {
    const id = Number((payload as { snapshot_id?: unknown }).snapshot_id);
    if (!Number.isSafeInteger(id)) throw new Error(`payload.snapshot_id: expected an integer, got ${JSON.stringify(payload)}`);
    const { attempts, max_attempts } = helpers.job;
    await helpers.withPgClient((c) => c.query("select ledger_private.mark_processing($1, $2)", [id, attempts]));
    const t0 = Date.now();
    try {
      await helpers.withPgClient((c) => c.query("select ledger.process_snapshot($1)", [id]));
    } catch (e) {
      await helpers.withPgClient((c) =>
        c.query("select ledger_private.record_failure($1, $2, $3, $4)", [id, attempts, max_attempts, errText(e)]));
      log("process_snapshot failed", { snapshot_id: id, attempt: attempts, max_attempts, error: errText(e) });
      throw e;
    }
    log("processed snapshot", { snapshot_id: id, ms: Date.now() - t0 });
  };
  const backfillChunk: Task = async (payload, helpers) => {
    const p = payload as { backfill_id: number; from_cl: number; to_cl: number };
    const { rows } = await helpers.withPgClient((c) =>
      c.query("select ledger_private.backfill_chunk($1, $2, $3) as n", [p.backfill_id, p.from_cl, p.to_cl]));
    log("backfill chunk done", { ...p, snapshots: rows[0].n });
  };
  return { process_snapshot: processSnapshot, backfill_chunk: backfillChunk };
}

async function unlockDeadWorkers(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query(
    `with dead as (
       select distinct q.locked_by from (
         select locked_by from graphile_worker._private_jobs where locked_by is not null
         union select locked_by from graphile_worker._private_job_queues where locked_by is not null) q
        where not exists (select 1 from ledger_private.worker_lease l
                           join pg_stat_activity a on a.pid = l.backend_pid and a.backend_start = l.backend_start
                          where l.worker_id = q.locked_by))
     select array_agg(locked_by) as ids from dead`);
  const ids: string[] = rows[0].ids ?? [];
  if (ids.length) {
    await pool.query("select graphile_worker.force_unlock_workers($1::text[])", [ids]);
    await pool.query("delete from ledger_private.worker_lease where worker_id = any($1::text[])", [ids]);
  }
  await pool.query(
    `delete from ledger_private.worker_lease l where not exists
       (select 1 from pg_stat_activity a where a.pid = l.backend_pid and a.backend_start = l.backend_start)`);
  return ids.length;
}

export interface RunningWorker { runner: Runner; stop(): Promise<void>; promise: Promise<void> }

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? ((msg, extra) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...extra })));
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: (opts.concurrency ?? 2) + 2 });
  pool.on("error", (e) => log("database pool error", { error: e.message }));
  pool.on("connect", (client) => client.on("error", (e) => log("database connection error", { error: e.message })));
  // The lease session: lives exactly as long as this process.
  const lease = new pg.Client({ connectionString: opts.databaseUrl, application_name: "buildledger-worker-lease" });
  await lease.connect();
  lease.on("error", () => {});
  const unlocked = await unlockDeadWorkers(pool);
  if (unlocked) log("unlocked jobs of workers that died", { workers: unlocked });

  const events = new EventEmitter() as WorkerEvents;
  // One query at a time on the lease session: writes are chained.
  let leaseWrites: Promise<unknown> = Promise.resolve();
  events.on("worker:create", ({ worker }) => {
    leaseWrites = leaseWrites.then(() => lease.query(
      `insert into ledger_private.worker_lease (worker_id, backend_pid, backend_start)
       select $1, pg_backend_pid(), backend_start from pg_stat_activity where pid = pg_backend_pid()
       on conflict (worker_id) do nothing`, [worker.workerId])).catch(() => {});
  });
  const runner = await run({
    pgPool: pool,
    concurrency: opts.concurrency ?? 2,
    pollInterval: opts.pollInterval ?? 250,
    noHandleSignals: opts.handleSignals === false,
    taskList: taskList(log),
    logger: quietLogger(),
    events,
  });
  await leaseWrites;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runner.stop().catch(() => {});
    await lease.end().catch(() => {});
    await pool.end().catch(() => {});
  };
  const promise = runner.promise.finally(async () => {
    await lease.end().catch(() => {});
  });
  return { runner, stop, promise };
}

/** Runs jobs until no job that can run now is left (tests, the main command, CI). */
export async function drainQueue(databaseUrl: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 }).on("error", () => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  try {
    for (;;) {
      const { rows } = await pool.query(
        `select count(*)::int as n from graphile_worker._private_jobs
          where attempts < max_attempts and run_at <= now()`);
      if (rows[0].n === 0) return;
      if (Date.now() > deadline) throw new Error(`queue not drained after ${opts.timeoutMs} ms (${rows[0].n} jobs left)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await pool.end();
  }
}
