// Triage and notifications in the demo studio (npm start): a few triage events by
// made-up people and one webhook subscription, so ledger.issue_triage, the gate's
// suppressed count, the "my team" dashboard and the notification log show real rows.
// Idempotent: every event has a client id, so a second start adds nothing. It only
// adds rows (the generator's reports and their hashes are untouched).
import type pg from "pg";

export const DEMO_WEBHOOK_SECRET = "whsec_demo_local_only_0123456789";

/** Records the demo's triage events on atlas/main; returns how many were new. */
export async function seedTriageDemo(pool: pg.Pool | pg.Client, project = "atlas"): Promise<number> {
  const { rows: [head] } = await pool.query(
    "select max(cl)::bigint as cl from ledger.snapshot where project = $1 and stream = 'main' and applied_seq is not null", [project]);
  if (!head?.cl) return 0;
  // deterministic picks: by issue hash among the issues open at the head
  const { rows: open } = await pool.query(
    `select issue_id::int, severity, (select w.people[1] from ledger.owner_of($1, o.path) w) as person
       from ledger.open_issues_at($1, $2) o order by o.hash limit 40`, [project, head.cl]);
  const errors = open.filter((o) => o.severity === "error");
  const warnings = open.filter((o) => o.severity === "warning");
  const { rows: recurring } = await pool.query(
    `select r.issue_id::int, (select min(i.resolved_cl)::int from ledger.issue_presence_interval i
                               where i.project = $1 and i.stream = 'main' and i.issue_id = r.issue_id) as first_resolved
       from ledger.recurring_issues($1) r where r.interval_count >= 2 order by r.issue_id limit 1`, [project]);
  const events: Record<string, unknown>[] = [];
  const ev = (id: string, issue: number | undefined, rest: Record<string, unknown>) => {
    if (issue !== undefined) events.push({ id: `demo-${id}`, project, issue_id: issue, ...rest });
  };
  ev("ack-1", errors[0]?.issue_id, { action: "acknowledge" });
  ev("assign-1", errors[0]?.issue_id, { action: "assign", assignee: errors[0]?.person ?? "kim" });
  ev("note-1", errors[0]?.issue_id, { action: "note", note: "Reproduced locally; the asset was renamed without a redirector." });
  ev("ack-2", errors[1]?.issue_id, { action: "acknowledge" });
  ev("suppress-1", warnings[0]?.issue_id, { action: "suppress", reason: "Known: texture budget is raised next milestone", until_cl: Number(head.cl) + 500 });
  if (recurring[0]?.first_resolved) ev("fixed-1", recurring[0].issue_id, { action: "mark_fixed", cl: recurring[0].first_resolved });
  if (!events.length) return 0;
  const { rows: [r] } = await pool.query("select ledger.record_triage($1::jsonb, 'demo') as r", [JSON.stringify(events)]);
  return (r.r as { duplicate: boolean }[]).filter((x) => !x.duplicate).length;
}

/** The demo subscription (every kind, json) pointing at `url`; replaced by name on each start. */
export async function seedSubscriptionDemo(pool: pg.Pool | pg.Client, url: string, project = "atlas"): Promise<void> {
  await pool.query("select ledger.set_subscription($1, $2::jsonb, 'demo')", [project, JSON.stringify({
    name: "demo-webhook", url, kinds: ["new", "regression", "resolved", "suspect"], secret: DEMO_WEBHOOK_SECRET })]);
}
