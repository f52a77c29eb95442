// Loading the synthetic studio: generate → deliver (SQL, HTTP or files) → process
// through the real worker. Used by `buildledger generate` and the main command.
import pg from "pg";
import { generateStudio, type GeneratorOptions } from "./generator.js";
import { deliver, type Sink } from "./generate-sink.js";

export type Progress = (done: number, total: number, what: string) => void;

export async function deliverStudio(opts: Partial<GeneratorOptions>, sink: Sink, progress: Progress, concurrency = 1): Promise<number> {
  const plans = generateStudio(opts);
  let next = 0, done = 0;
  const workers = Array.from({ length: Math.max(1, concurrency) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= plans.length) return;
      await deliver(sink, plans[i], i);
      progress(++done, plans.length, "reports");
    }
  });
  await Promise.all(workers);
  return plans.length;
}

/** Runs the worker (in process) until every queued snapshot is processed. */
export async function processQueued(url: string, progress: Progress): Promise<void> {
  const { startWorker } = await import("../worker/index.js");
  const pool = new pg.Pool({ connectionString: url, max: 1 }).on("error", () => {});
  const w = await startWorker({ databaseUrl: url, handleSignals: false, concurrency: 2, log: () => {} });
  try {
    const { rows: [t] } = await pool.query("select count(*) filter (where state <> 'done')::int as todo from ledger.snapshot");
    const total = t.todo;
    for (;;) {
      const { rows: [s] } = await pool.query(
        `select count(*) filter (where state in ('queued', 'processing'))::int as left,
                count(*) filter (where state = 'failed')::int as failed,
                (select count(*)::int from graphile_worker._private_jobs where attempts < max_attempts) as jobs
           from ledger.snapshot`);
      progress(Math.max(0, total - s.left), total, "snapshots processed");
      if (s.left === 0 && s.jobs === 0) {
        if (s.failed > 0) throw new Error(`${s.failed} snapshots failed; see ledger.snapshot.error`);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await w.stop();
    await pool.end();
  }
}
