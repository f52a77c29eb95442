// Prometheus text exposition: counters kept by this process plus gauges read from
// the database at scrape time (queue depth, per-timeline lag, failed snapshots).
import type pg from "pg";

export class Counters {
  private values = new Map<string, number>();
  inc(name: string, labels: Record<string, string> = {}, by = 1) {
    const key = name + JSON.stringify(Object.entries(labels).sort());
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  lines(): string[] {
    const out: string[] = [];
    for (const [key, v] of [...this.values].sort()) {
      const i = key.indexOf("[");
      const name = key.slice(0, i);
      const labels = JSON.parse(key.slice(i)) as [string, string][];
      out.push(`${name}${fmtLabels(Object.fromEntries(labels))} ${v}`);
    }
    return out;
  }
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
function fmtLabels(l: Record<string, string>): string {
  const e = Object.entries(l);
  return e.length ? `{${e.map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}` : "";
}

const HELP: Record<string, [string, string]> = {
  buildledger_reports_received_total: ["counter", "Reports received over HTTP, by format and outcome."],
  buildledger_issues_received_total: ["counter", "Issue rows received over HTTP and staged."],
  buildledger_http_requests_total: ["counter", "HTTP requests by route and status."],
  buildledger_jobs_queued: ["gauge", "graphile-worker jobs waiting or running, by task."],
  buildledger_snapshots: ["gauge", "Snapshots by processing state."],
  buildledger_timeline_lag_seconds: ["gauge", "Age of the oldest unprocessed snapshot per timeline (0 when caught up)."],
  buildledger_timeline_latest_processed_cl: ["gauge", "Latest processed changelist per timeline."],
};

export async function renderMetrics(pool: pg.Pool, counters: Counters): Promise<string> {
  const gauges: string[] = [];
  const jobs = await pool.query(
    `select task_identifier, count(*)::int as n from graphile_worker.jobs group by 1 order by 1`);
  for (const r of jobs.rows) gauges.push(`buildledger_jobs_queued${fmtLabels({ task: r.task_identifier })} ${r.n}`);
  const snaps = await pool.query(`select state, count(*)::int as n from ledger.snapshot group by 1 order by 1`);
  for (const s of ["queued", "processing", "done", "failed"]) {
    gauges.push(`buildledger_snapshots${fmtLabels({ state: s })} ${snaps.rows.find((r) => r.state === s)?.n ?? 0}`);
  }
  const lag = await pool.query(
    `select t.project, t.stream, coalesce(t.latest_processed_cl, 0) as cl,
            coalesce(extract(epoch from now() - min(s.received_at) filter (where s.state <> 'done')), 0)::float8 as lag
       from ledger.timeline t left join ledger.snapshot s using (project, stream)
      group by t.project, t.stream, t.latest_processed_cl order by 1, 2`);
  for (const r of lag.rows) {
    gauges.push(`buildledger_timeline_lag_seconds${fmtLabels({ project: r.project, stream: r.stream })} ${r.lag}`);
    gauges.push(`buildledger_timeline_latest_processed_cl${fmtLabels({ project: r.project, stream: r.stream })} ${r.cl}`);
  }
  const all = [...counters.lines(), ...gauges];
  const out: string[] = [];
  for (const [name, [type, help]] of Object.entries(HELP)) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    out.push(...all.filter((l) => l.startsWith(name + "{") || l.startsWith(name + " ")));
  }
  return out.join("\n") + "\n";
}
