// The quality gate (ledger.gate) for CI: one call, shared by GET /v1/gate and
// `buildledger gate`, plus the human-readable rendering and the exit codes
// (0 pass, 1 fail, 2 not ready or error).
import type pg from "pg";
import { fromSqlError, InputError } from "./errors.js";

export interface GateIssue {
  issue_id: number; hash: string; severity: string; category: string | null; path: string; message: string;
  kind: "new" | "regression"; flaky: boolean; flaky_score: number | null; blocking: boolean;
  /** Suppressed by triage (sql/340_triage.sql): listed, never counted or blocking. */
  suppressed?: boolean;
}
export interface GateResult {
  project: string; stream: string; cl: number | string; status: "pass" | "fail" | "not_ready";
  reasons: string[]; counts?: Record<string, number>; issues?: GateIssue[];
  threshold_breaches?: { path_prefix: string; severity: string; max_open: number; open: number }[];
  policy: Record<string, unknown>;
}

export const GATE_EXIT = { pass: 0, fail: 1, not_ready: 2 } as const;

/** Parses a CL given as text (query parameter, CLI flag) exactly; InputError naming `field`. */
export function parseCl(v: unknown, field = "cl"): string {
  if (typeof v !== "string" || !/^\d{1,19}$/.test(v.trim()) || BigInt(v.trim()) < 1n || BigInt(v.trim()) > 9223372036854775807n) {
    throw new InputError(field, `expected a positive changelist number, got ${JSON.stringify(v ?? null)}`);
  }
  return v.trim();
}

export async function gate(db: pg.Pool | pg.Client, project: string, cl: string, stream = "main"): Promise<GateResult> {
  try {
    const { rows } = await db.query("select ledger.gate($1, $2::bigint, $3) as g", [project, cl, stream]);
    return rows[0].g as GateResult;
  } catch (e) {
    throw fromSqlError(e);
  }
}

export async function gatePolicy(db: pg.Pool | pg.Client, project: string): Promise<Record<string, unknown>> {
  try {
    const { rows } = await db.query("select ledger.gate_policy($1) as p", [project]);
    return rows[0].p;
  } catch (e) {
    throw fromSqlError(e);
  }
}

export async function setGatePolicy(db: pg.Pool | pg.Client, project: string, policy: unknown, by?: string): Promise<Record<string, unknown>> {
  try {
    const { rows } = await db.query("select ledger.set_gate_policy($1, $2::jsonb, $3) as p", [project, JSON.stringify(policy), by ?? null]);
    return rows[0].p;
  } catch (e) {
    throw fromSqlError(e);
  }
}

/** The gate's answer as a CI log shows it. */
export function renderGate(g: GateResult, maxIssues = 20): string {
  const out = [`gate ${g.project}/${g.stream} CL ${g.cl}: ${g.status.toUpperCase().replace("_", " ")}`];
  for (const r of g.reasons) out.push(`  - ${r}`);
  if (g.counts) {
    const c = g.counts;
    out.push(`  new errors ${c.new_errors}, new warnings ${c.new_warnings}, regressions ${c.regressions}, flaky ${c.flaky}, blocking ${c.blocking}${c.suppressed ? `, suppressed ${c.suppressed}` : ""}`);
  }
  const issues = g.issues ?? [];
  for (const i of issues.slice(0, maxIssues)) {
    const tags = [i.kind, i.blocking ? "blocking" : "not blocking", i.flaky ? `flaky ${i.flaky_score}` : "", i.suppressed ? "suppressed" : ""].filter(Boolean).join(", ");
    out.push(`  ${i.severity.padEnd(7)} ${i.path}: ${i.message}  [issue ${i.issue_id}; ${tags}]`);
  }
  if (issues.length > maxIssues) out.push(`  … and ${issues.length - maxIssues} more (--json for all)`);
  return out.join("\n");
}
