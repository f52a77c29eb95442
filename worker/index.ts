// The durable job runner (graphile-worker). Tasks:
//   process_snapshot {snapshot_id}           one staged report → ledger (per timeline queue)
//   backfill_chunk   {backfill_id, from_cl, to_cl}   re-process a CL range chunk
//   refresh_team_daily {project, stream}      recompute the daily team metrics of marked days (debounced)
//   notify_snapshot  {snapshot_id}           queue one notification per matching subscription (after processing)
//   deliver_notification {outbox_id}         POST one stored, signed message to its webhook (retried with backoff)
// Each job's SQL is idempotent, so a retry after a crash between the SQL commit and
// the job's completion changes nothing. Jobs of one timeline share a named queue and
// run one at a time; other timelines run in parallel, so one project's backlog or
// failure never holds up another. A failed attempt is written onto the snapshot;
// after the last attempt the snapshot is 'failed' with its error.
// Crash recovery: every worker process registers the ids of its graphile-worker
// pools (the `locked_by` of the jobs it runs) with the backend pid of a lease session
// it keeps open (ledger_private.worker_lease). Every live worker, at start and then
// on a timer, unlocks the jobs of pools whose lease session is gone, instead of
// waiting for graphile-worker's 4-hour lock timeout; a live pool's jobs are never
// touched. A worker whose runner stops because the database went away waits for it
// and starts a new runner (see startWorker).
import pg from "pg";
import { EventEmitter } from "node:events";
import { run, type Runner, type Task, type TaskList, type WorkerEvents } from "graphile-worker";
import { quietLogger } from "../lib/migrate.js";
import { serviceConnection } from "../lib/db.js";
import { deliverNotification, notifySnapshot } from "./notify.js";

export interface WorkerOptions {
  databaseUrl: string;
  concurrency?: number;
  pollInterval?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** Install SIGINT/SIGTERM handlers for graceful shutdown (default true). */
  handleSignals?: boolean;
  /** Milliseconds between maintenance passes (dead workers, lease, upload sweep, storage: partitions, retention, cache pruning); default 15 s. */
  maintenanceMs?: number;
  /** A job locked this recently is never freed as a dead worker's (lease registration race); default 10 s. */
  deadGraceSeconds?: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The integer fields of a job payload, or an error naming the first bad one (a malformed
 * job fails loudly, never reaches SQL as NULL). CLs and ids are 64-bit: the jobs write
 * them as decimal strings, which are handed to SQL as they are (a JSON number above 2^53
 * would have lost digits when the payload was parsed); a safe JSON integer is taken too.
 */
function intFields<K extends string>(payload: unknown, keys: K[]): Record<K, number | string> {
  const p = (payload ?? {}) as Record<string, unknown>;
  const out = {} as Record<K, number | string>;
  for (const k of keys) {
    const v = typeof p === "object" && !Array.isArray(p) ? p[k] : undefined;
    const ok = typeof v === "number" ? Number.isSafeInteger(v) : typeof v === "string" && /^-?\d{1,19}$/.test(v);
    if (!ok) throw new Error(`payload.${k}: expected an integer, got ${JSON.stringify(payload)}`);
    out[k] = v as number | string;
  }
  return out;
}

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
    // After the commit: notifications are computed by their own job (idempotent per
    // content version). A crash before this line re-runs the task, whose processing
    // is then a no-op, and this line adds the job.
    await helpers.withPgClient((c) => c.query("select ledger_private.enqueue_notify($1)", [id]));
  };
  const backfillChunk: Task = async (payload, helpers) => {
    const p = intFields(payload, ["backfill_id", "from_cl", "to_cl"]);
    const { rows } = await helpers.withPgClient((c) =>
      c.query("select ledger_private.backfill_chunk($1, $2, $3) as n", [p.backfill_id, p.from_cl, p.to_cl]));
    log("backfill chunk done", { ...p, snapshots: rows[0].n });
  };
  const refreshTeamDaily: Task = async (payload, helpers) => {
    const p = payload as { project?: unknown; stream?: unknown };
    if (typeof p.project !== "string" || typeof p.stream !== "string") throw new Error(`payload: expected project and stream, got ${JSON.stringify(payload)}`);
    const { rows } = await helpers.withPgClient((c) =>
      c.query("select ledger_private.refresh_dirty_team_days($1, $2) as n", [p.project, p.stream]));
    if (rows[0].n > 0) log("refreshed daily team metrics", { project: p.project, stream: p.stream, days: rows[0].n });
  };
  const renormaliseRekey: Task = async (payload, helpers) => {
    const p = intFields(payload, ["run_id", "from_id", "to_id"]);
    const { rows } = await helpers.withPgClient((c) =>
      c.query("select ledger_private.renormalise_rekey($1, $2, $3) as n", [p.run_id, p.from_id, p.to_id]));
    log("renormalise: chunk re-keyed", { ...p, issues: rows[0].n });
  };
  const renormalisePlan: Task = async (payload, helpers) => {
    const p = intFields(payload, ["run_id"]);
    const { rows } = await helpers.withPgClient((c) => c.query("select ledger_private.renormalise_plan_rebuilds($1) as n", [p.run_id]));
    log("renormalise: timelines to rebuild", { ...p, timelines: rows[0].n });
  };
  const renormaliseRebuild: Task = async (payload, helpers) => {
    const p = { ...intFields(payload, ["run_id"]), ...(payload as { project: unknown; stream: unknown }) };
    if (typeof p.project !== "string" || typeof p.stream !== "string") throw new Error(`payload: expected project and stream, got ${JSON.stringify(payload)}`);
    await helpers.withPgClient((c) => c.query("select ledger_private.renormalise_rebuild($1, $2, $3)", [p.run_id, p.project, p.stream]));
    log("renormalise: timeline rebuilt", p);
  };
  return { process_snapshot: processSnapshot, backfill_chunk: backfillChunk, refresh_team_daily: refreshTeamDaily,
           renormalise_rekey: renormaliseRekey, renormalise_plan_rebuilds: renormalisePlan, renormalise_rebuild: renormaliseRebuild,
           notify_snapshot: notifySnapshot(log), deliver_notification: deliverNotification(log) };
}

/**
 * Frees the jobs of worker pools that died (kill -9, crash, lost connection). A pool
 * is alive while the lease session of its process is connected: its lease row names
 * that session's backend pid and start time. Jobs locked by a pool with no live
 * lease, and locked for longer than `graceSeconds` (a starting pool registers its
 * lease within milliseconds of taking its first job), are unlocked at once instead
 * of after graphile-worker's 4-hour lock timeout. Reads graphile-worker's public
 * `jobs` view and calls its public `force_unlock_workers`.
 */
export async function unlockDeadWorkers(pool: pg.Pool, graceSeconds = 10): Promise<string[]> {
  const { rows } = await pool.query(
    `select coalesce(array_agg(distinct j.locked_by), '{}') as ids
       from graphile_worker.jobs j
      where j.locked_by is not null and j.locked_at < now() - make_interval(secs => $1)
        and not exists (select 1 from ledger_private.worker_lease l
                          join pg_stat_activity a on a.pid = l.backend_pid and a.backend_start = l.backend_start
                         where l.worker_id = j.locked_by)`, [graceSeconds]);
  const ids: string[] = rows[0].ids;
  if (ids.length) await pool.query("select graphile_worker.force_unlock_workers($1::text[])", [ids]);
  await pool.query(
    `delete from ledger_private.worker_lease l where not exists
       (select 1 from pg_stat_activity a where a.pid = l.backend_pid and a.backend_start = l.backend_start)`);
  return ids;
}

export interface RunningWorker {
  /** The current graphile-worker runner (replaced after a database outage). */
  readonly runner: Runner;
  stop(): Promise<void>;
  /** Settles when the worker has stopped (after stop()). */
  promise: Promise<void>;
  /** Runs one maintenance pass now (dead-worker detection, lease check, upload sweep). */
  maintain(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a supervised worker. Around graphile-worker's runner it keeps:
 * - a lease session naming this process's worker pools (see unlockDeadWorkers);
 * - a maintenance timer (every `maintenanceMs`, default 15 s) that frees jobs of dead
 *   workers, re-opens the lease session if it was lost, and sweeps abandoned uploads;
 * - recovery: when the runner stops on its own (the database restarted, a connection
 *   was lost mid-job), it waits for the database with backoff and starts a new
 *   runner; the jobs the old pool held are freed by the dead-worker detection, since
 *   its lease is gone. No person needs to restart anything.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const log = opts.log ?? ((msg, extra) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...extra })));
  const maintenanceMs = opts.maintenanceMs ?? 15_000;
  const conn = serviceConnection(opts.databaseUrl, "buildledger_worker");
  const pool = new pg.Pool({ ...conn, max: (opts.concurrency ?? 2) + 2, connectionTimeoutMillis: 30_000 });
  pool.on("error", (e) => log("database pool error", { error: e.message }));
  pool.on("connect", (client) => client.on("error", (e) => log("database connection error", { error: e.message })));

  let stopped = false;
  const poolIds = new Set<string>();

  // ---- the lease session: one query at a time, re-opened when lost ---------------
  let lease: pg.Client | undefined;
  let leaseChain: Promise<unknown> = Promise.resolve();
  const registerSql =
    `insert into ledger_private.worker_lease (worker_id, backend_pid, backend_start)
     select w, pg_backend_pid(), a.backend_start from unnest($1::text[]) w, pg_stat_activity a
      where a.pid = pg_backend_pid()
     on conflict (worker_id) do update set backend_pid = excluded.backend_pid, backend_start = excluded.backend_start`;
  const openLease = async () => {
    const c = new pg.Client({ ...conn, application_name: "buildledger-worker-lease" });
    // lost (an error, then the end, or the end alone): re-opened at once, since others
    // may free a lease-less pool's jobs after the grace
    const lost = () => {
      if (lease !== c) return;
      lease = undefined;
      reopenSoon();
    };
    c.on("error", lost);
    await c.connect();
    c.on("end", lost);
    lease = c;
    if (poolIds.size) await c.query(registerSql, [[...poolIds]]);
  };
  const leaseDo = (fn: () => Promise<unknown>) => (leaseChain = leaseChain.then(fn, fn).catch((e) => {
    log("lease session error", { error: errText(e) });
  }));
  const register = (id: string) => {
    poolIds.add(id);
    return leaseDo(async () => {
      if (!lease) await openLease();
      else await lease.query(registerSql, [[id]]);
    });
  };
  const checkLease = () => leaseDo(async () => {
    if (lease) {
      try { await lease.query("select 1"); return; } catch { await lease.end().catch(() => {}); lease = undefined; }
    }
    if (!stopped) { await openLease(); log("lease session re-opened", { pools: [...poolIds] }); }
  });

  // re-opened at once when lost, then every second until it is back (not only on the
  // next maintenance tick: the grace other workers give a lease-less pool is 10 s)
  let reopenTimer: NodeJS.Timeout | undefined;
  const reopenSoon = () => {
    if (stopped || reopenTimer) return;
    void checkLease().then(() => {
      if (lease || stopped) return;
      reopenTimer = setTimeout(() => { reopenTimer = undefined; reopenSoon(); }, 1_000);
      reopenTimer.unref();
    });
  };

  await openLease();
  const grace = opts.deadGraceSeconds ?? 10;
  const initiallyFreed = await unlockDeadWorkers(pool, grace);
  if (initiallyFreed.length) log("unlocked jobs of workers that died", { pools: initiallyFreed });

  // ---- maintenance ---------------------------------------------------------------
  let maintaining: Promise<void> | undefined;
  const maintain = () => (maintaining ??= (async () => {
    try {
      await checkLease();
      const freed = await unlockDeadWorkers(pool, grace);
      if (freed.length) log("unlocked jobs of workers that died", { pools: freed });
      const { rows } = await pool.query("select ledger_private.sweep_uploads() as n, ledger_private.enforce_read_limits() as c");
      if (rows[0].n > 0) log("swept abandoned uploads", { uploads: rows[0].n });
      if (rows[0].c > 0) log("cancelled reader statements past their time limit", { statements: rows[0].c });
      const { rows: [st] } = await pool.query("select ledger_private.storage_maintenance() as r");
      const r = st.r as Record<string, number | boolean>;
      if (!r.skipped && Object.values(r).some((v) => Number(v) > 0)) log("storage maintenance", r);
    } catch (e) {
      log("maintenance failed (retried on the next tick)", { error: errText(e) });
    } finally {
      maintaining = undefined;
    }
  })());
  const timer = setInterval(() => void maintain(), maintenanceMs);
  timer.unref();

  // ---- the supervised runner -----------------------------------------------------
  let runnerPoolIds: string[] = [];
  const startRunner = async () => {
    const events = new EventEmitter() as WorkerEvents;
    let registered: Promise<unknown> = Promise.resolve();
    runnerPoolIds = [];
    events.on("pool:create", ({ workerPool }) => {
      runnerPoolIds.push(workerPool.id);
      registered = register(workerPool.id);
    });
    const r = await run({
      pgPool: pool,
      concurrency: opts.concurrency ?? 2,
      pollInterval: opts.pollInterval ?? 250,
      noHandleSignals: true,
      // Marking a job done or failed goes through graphile-worker's batcher (delay 0: no
      // waiting). Without it, a failure of that write (the database restarting between
      // a job's work and its completion) is an unhandled rejection: the process dies,
      // or the job stays locked by this live pool for 4 hours and holds its timeline's
      // queue. With it, the pool shuts down instead; supervise() starts a new pool and
      // the old pool's jobs are freed as a dead worker's (the work itself is idempotent).
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
      taskList: taskList(log),
      logger: quietLogger(),
      events,
    });
    await registered;
    return r;
  };
  let runner = await startRunner();

  const waitForDatabase = async () => {
    for (let delay = 500; !stopped; delay = Math.min(delay * 2, 15_000)) {
      try {
        await pool.query("select 1");
        return;
      } catch (e) {
        log("waiting for the database", { retry_in_ms: delay, error: errText(e) });
        await sleep(delay);
      }
    }
  };
  const supervise = async () => {
    for (;;) {
      const current = runner;
      const outcome = await current.promise.then(() => "stopped", (e) => errText(e));
      if (stopped) return;
      log("worker pool stopped unexpectedly; restarting it when the database answers", { reason: outcome });
      // The dead pool's lease goes, so whatever it still holds is freed as a dead worker's.
      const dead = runnerPoolIds;
      for (const id of dead) poolIds.delete(id);
      void leaseDo(async () => { await lease?.query("delete from ledger_private.worker_lease where worker_id = any($1)", [dead]); });
      for (;;) {
        await waitForDatabase();
        if (stopped) return;
        try {
          runner = await startRunner();
          await maintain();
          log("worker pool restarted");
          break;
        } catch (e) {
          log("restarting the worker pool failed", { error: errText(e) });
          await sleep(2_000);
        }
      }
    }
  };
  const supervised = supervise();

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(reopenTimer);
    await runner.stop().catch(() => {});
    await supervised.catch(() => {});
    await maintaining?.catch(() => {});
    await leaseChain.catch(() => {});
    await lease?.end().catch(() => {});
    await pool.end().catch(() => {});
  })());
  if (opts.handleSignals !== false) {
    const onSignal = () => void stop();
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  const promise = supervised.then(() => stopping).then(() => {});
  return { get runner() { return runner; }, stop, promise, maintain };
}

/** Runs jobs until no job that can run now is left (tests, the main command, CI). */
export async function drainQueue(databaseUrl: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 }).on("error", () => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  try {
    for (;;) {
      const { rows } = await pool.query(
        `select count(*)::int as n from graphile_worker.jobs
          where attempts < max_attempts and run_at <= now() + interval '5 seconds'`); // debounced jobs too
      if (rows[0].n === 0) return;
      if (Date.now() > deadline) throw new Error(`queue not drained after ${opts.timeoutMs} ms (${rows[0].n} jobs left)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await pool.end();
  }
}
