// Hostile use of the read side: the SQL API's query functions called with NULLs,
// unknown names and out-of-range numbers; GraphQL arguments PostgreSQL rejects, page
// sizes and alias floods; malformed job payloads; CLI arguments. Every bad input is a
// clear error naming what is wrong (SQLSTATE class 22 in SQL), never an empty answer.
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { taskList } from "../worker/index.js";
import { cloneDatabase } from "./helpers/db.js";
import { graphql, startService, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let owner: pg.Pool;
let issueId: string;
beforeAll(async () => {
  db = await cloneDatabase();
  owner = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
  for (const cl of [10, 11, 12]) {
    await owner.query("select ledger.ingest_report($1)", [{ project: "hx", changelist: cl,
      issues: cl === 11 ? [] : [{ path: "srv/hx/team/a.cpp", severity: "error", message: "boom" }] }]);
  }
  issueId = (await owner.query("select issue_id::text from ledger.issue_instance limit 1")).rows[0].issue_id;
});
afterAll(async () => {
  await owner?.end();
  await db?.drop();
});

/** Runs `sql` as buildledger_reader; the error's SQLSTATE and message, or the row count. */
async function asReader(sql: string, params: unknown[] = []): Promise<{ code?: string; message?: string; rows?: number }> {
  const c = await owner.connect();
  try {
    await c.query("begin");
    await c.query("set local role buildledger_reader");
    return { rows: (await c.query(sql, params)).rowCount ?? 0 };
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  } finally {
    await c.query("rollback").catch(() => {});
    c.release();
  }
}

describe("SQL API read functions with bad arguments", () => {
  // [call, the field its message must start with]; each of these answered nothing (or
  // a message naming nothing) instead of an error before.
  const cases: [string, string][] = [
    ["select * from ledger.open_issues_at('hx', 11, null)", "stream"],
    ["select * from ledger.diff('hx', 10, 12, null)", "stream"],
    ["select * from ledger.recurring_issues('hx', null)", "stream"],
    ["select * from ledger.treemap_at('hx', 11, null)", "stream"],
    ["select * from ledger.cl_trend('hx', null)", "stream"],
    ["select ledger.gate('hx', 11, null)", "stream"],
    ["select * from ledger.rollup(null, 11, 2)", "project"],
    ["select * from ledger.rollup('hx', 11, 2, null)", "stream"],
    ["select * from ledger.team_heatmap(null)", "project"],
    ["select * from ledger.team_heatmap('nope')", "project"],
    ["select * from ledger.presence_timeline(null)", "project"],
    ["select * from ledger.team_trends('nope')", "project"],
    ["select * from ledger.team_trends('hx', 'nope')", "stream"],
    ["select * from ledger.my_team_regressions('nope')", "project"],
    ["select * from ledger.my_team_regressions('hx', null, 30, 'nope')", "stream"],
    ["select * from ledger.my_team_regressions('hx', null, -1)", "days"],
    ["select * from ledger.my_team_new_with_suspects('hx', null, 2147483647)", "days"],
    ["select * from ledger.suppressed_at('nope', 11)", "project"],
    ["select * from ledger.suppressed_at('hx', -1)", "cl"],
    ["select * from ledger.suspects('nope', 1)", "project"],
    ["select * from ledger.suspects('hx', null)", "issue_id"],
    ["select * from ledger.suspects('hx', 1, -5)", "start_cl"],
    ["select * from ledger.flaky_issues('hx', 'main', -1)", "at_cl"],
    // (row counts below 1 were quietly taken as 1)
    ["select * from ledger.cl_trend('hx', 'main', 0)", "last_n"],
    ["select * from ledger.team_heatmap('hx', 'main', -3)", "last_n"],
    ["select * from ledger.presence_timeline('hx', 'main', null, null, 0)", "top_n"],
    ["select * from ledger.presence_timeline('hx', 'main', null, null, null)", "top_n"],
  ];
  it.each(cases)("%s raises class 22 naming %s", async (sql, field) => {
    const r = await asReader(sql);
    expect(r.code, `${sql} answered ${r.rows} rows`).toMatch(/^22/);
    expect(r.message).toMatch(new RegExp(`^${field}: `));
  });

  it("NULL arguments say NULL in the message", async () => {
    const r = await asReader("select * from ledger.flaky_issues('hx', 'main', null, null)");
    expect([r.code, r.message]).toEqual(["22023", "window_cls: expected 2 to 1000, got NULL"]);
  });

  it("good calls still answer", async () => {
    for (const sql of ["select * from ledger.open_issues_at('hx', 12)", "select * from ledger.rollup('hx', 12, 2)",
                       "select * from ledger.team_heatmap('hx')", "select * from ledger.presence_timeline('hx')",
                       "select * from ledger.suppressed_at('hx', 12)", "select * from ledger.cl_trend('hx')"]) {
      const r = await asReader(sql);
      expect(r.code, `${sql}: ${r.message}`).toBeUndefined();
    }
    expect((await asReader("select * from ledger.open_issues_at('hx', 12)")).rows).toBe(1);
    expect((await asReader(`select * from ledger.suspects('hx', ${issueId})`)).code).toBeUndefined();
  });
});

describe("GraphQL with hostile arguments", () => {
  let svc: Service;
  beforeAll(async () => { svc = await startService(db.url, { production: true }); });
  afterAll(async () => { await svc?.close(); });

  it("a BigInt PostgreSQL rejects is a client error naming the field and argument", async () => {
    const r = await graphql(svc.base, `{ diff(project: "hx", fromCl: "99999999999999999999", toCl: "12") { totalCount } }`);
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0].message).toBe('diff.fromCl: value "99999999999999999999" is out of range for type bigint');
    expect(r.body.errors?.[0].extensions?.code).toBe("22003");
    const v = await graphql(svc.base, `query($cl: BigInt!) { x: openIssuesAt(project: "hx", cl: $cl) { totalCount } }`, { cl: "1e5" });
    expect(v.body.errors?.[0].message).toBe('x: invalid input syntax for type bigint: "1e5"');
  });

  it("the contract's own messages pass unchanged; stream: null is an error, not an empty answer", async () => {
    const r = await graphql(svc.base, `{ diff(project: "hx", fromCl: "12", toCl: "10") { totalCount } }`);
    expect(r.body.errors?.[0].message).toBe("from_cl: 12 is after to_cl 10");
    const s = await graphql(svc.base, `{ diff(project: "hx", fromCl: "10", toCl: "12", stream: null) { totalCount } }`);
    expect(s.body.errors?.[0].message).toBe("stream: required");
  });

  it("first/last outside 0..10000 is a 400 naming the argument, literal or variable", async () => {
    const neg = await graphql(svc.base, `{ allChangelistMetrics(first: -2) { nodes { cl } } }`);
    expect([neg.status, neg.body.errors?.[0].message]).toEqual([400, "allChangelistMetrics.first: expected 0 to 10000, got -2"]);
    const big = await graphql(svc.base, `query($n: Int) { allChangelistMetrics(last: $n) { nodes { cl } } }`, { n: 100_000 });
    expect([big.status, big.body.errors?.[0].message]).toEqual([400, "allChangelistMetrics.last: expected 0 to 10000, got 100000"]);
    const dflt = await graphql(svc.base, `query($n: Int = 20000) { allChangelistMetrics(first: $n) { nodes { cl } } }`);
    expect([dflt.status, dflt.body.errors?.[0].message]).toEqual([400, "allChangelistMetrics.first: expected 0 to 10000, got 20000"]);
    const ok = await graphql(svc.base, `{ allChangelistMetrics(first: 10000) { totalCount } }`);
    expect(ok.body.data?.allChangelistMetrics.totalCount).toBe(3);
  });

  it("a table or view collection read without first or last is a 400 naming it; counts, pages and query functions are not", async () => {
    const msg = (f: string) => `${f}: give first or last (at most 10000) to read its nodes or edges; this collection grows with every build`;
    const root = await graphql(svc.base, `{ allIssueObservations { nodes { issueId } } }`);
    expect([root.status, root.body.errors?.[0].message]).toEqual([400, msg("allIssueObservations")]);
    const aliased = await graphql(svc.base, `{ o: allSnapshots { edges { node { cl } } } }`);
    expect([aliased.status, aliased.body.errors?.[0].message]).toEqual([400, msg("o")]);
    // nested relation connections, through a fragment
    const nested = await graphql(svc.base, `{ allTimelines(first: 5) { nodes { ...T } } }
      fragment T on Timeline { issuePresenceIntervalsByProjectAndStream { nodes { issueId } } }`);
    expect([nested.status, nested.body.errors?.[0].message]).toEqual([400, msg("issuePresenceIntervalsByProjectAndStream")]);
    const counted = await graphql(svc.base, `{ allIssueObservations { totalCount } allTimelines(first: 5) { nodes { issuePresenceIntervalsByProjectAndStream(first: 10) { totalCount nodes { issueId } } } } }`);
    expect(counted.status).toBe(200);
    expect(counted.body.errors).toBeUndefined();
    expect(counted.body.data?.allIssueObservations.totalCount).toBeGreaterThan(0);
    const fn = await graphql(svc.base, `{ openIssuesAt(project: "hx", cl: "12") { nodes { issueId } } }`);
    expect(fn.status).toBe(200);
    expect(fn.body.errors).toBeUndefined();
  });

  it("aliases cannot multiply one request into many database queries", async () => {
    const many = (n: number, wrap = (s: string) => `{ ${s} }`) =>
      wrap(Array.from({ length: n }, (_, i) => `a${i}: openIssuesAt(project: "hx", cl: "12") { totalCount }`).join(" "));
    const r = await graphql(svc.base, many(51));
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(/^query: makes 51 root or argument-taking field calls .*\(at most 50\)$/);
    // through Relay's query field and a fragment too
    const nested = await graphql(svc.base, `{ query { ...F } } fragment F on Query { ${many(51, (s) => s)} }`);
    expect(nested.status).toBe(400);
    const fifty = await graphql(svc.base, many(50));
    expect(fifty.status).toBe(200);
    expect(fifty.body.data?.a49.totalCount).toBe(1);
  });
});

describe("jobs with malformed payloads", () => {
  const tasks = taskList(() => {});
  const helpers = (calls: string[]) => ({
    job: { attempts: 1, max_attempts: 2 },
    withPgClient: async (fn: (c: { query: (sql: string) => Promise<unknown> }) => Promise<unknown>) =>
      fn({ query: async (sql: string) => { calls.push(sql); return { rows: [{ n: 0 }] }; } }),
  }) as never;
  it.each([
    ["backfill_chunk", { backfill_id: "x" }, "payload.backfill_id"],
    ["backfill_chunk", { backfill_id: 1, from_cl: 1 }, "payload.to_cl"],
    ["renormalise_rekey", { run_id: 1, from_id: null, to_id: 2 }, "payload.from_id"],
    ["renormalise_plan_rebuilds", [], "payload.run_id"],
    ["renormalise_rebuild", { run_id: 1, project: 3, stream: "main" }, "payload"],
  ] as const)("%s %j fails naming %s without running SQL", async (task, payload, field) => {
    const calls: string[] = [];
    await expect((tasks[task] as (p: unknown, h: unknown) => Promise<void>)(payload, helpers(calls)))
      .rejects.toThrow(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: expected`));
    expect(calls).toEqual([]);
  });
});

describe("backfill beyond 2^53", () => {
  it("chunks carry their CLs exactly, and each chunk processes what its bounds say", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
    try {
      const cls = ["9007199254740993", "9007199254740995", "9007199254740997"];
      for (const cl of cls) {
        await pool.query(`select ledger.ingest_report(('{"project":"big53","changelist":' || $1 || ',"issues":[{"path":"a/b","severity":"error","message":"m"}]}')::jsonb)`, [cl]);
      }
      const { rows: [b] } = await pool.query("select ledger_private.backfill_start('big53', 'main', $1::bigint, $2::bigint, 1) as id", [cls[0], cls[2]]);
      const { rows } = await pool.query(
        "select payload->>'from_cl' as f, payload->>'to_cl' as t, json_typeof(payload->'from_cl') as ty from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'backfill_chunk' and (payload->>'backfill_id')::bigint = $1 order by (payload->>'from_cl')::numeric", [b.id]);
      expect(rows).toEqual([
        { f: cls[0], t: "9007199254740994", ty: "string" }, { f: cls[1], t: "9007199254740996", ty: "string" }, { f: cls[2], t: cls[2], ty: "string" }]);
      // the task hands the exact digits to SQL
      const seen: unknown[][] = [];
      const helpers = { job: { attempts: 1, max_attempts: 2 },
        withPgClient: async (fn: (c: { query: (sql: string, args: unknown[]) => Promise<unknown> }) => Promise<unknown>) =>
          fn({ query: async (_sql: string, args: unknown[]) => { seen.push(args); return { rows: [{ n: 1 }] }; } }) } as never;
      await (taskList(() => {}).backfill_chunk as (p: unknown, h: unknown) => Promise<void>)({ backfill_id: 1, from_cl: cls[2], to_cl: cls[2] }, helpers);
      expect(seen).toEqual([[1, cls[2], cls[2]]]);
    } finally {
      await pool.end();
    }
  });
});

describe("CLI with bad arguments", () => {
  const cli = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), ...args], { env: { ...process.env, DATABASE_URL: db.url } });
    let stderr = "";
    const t = setTimeout(() => p.kill("SIGKILL"), 30_000); // (a worker that accepted the flag would run on)
    p.stderr.on("data", (c) => (stderr += c));
    p.on("exit", (code) => { clearTimeout(t); resolve({ code, stderr }); });
  });
  it.each([
    [["worker", "--concurrency", "0"], 'buildledger: --concurrency: expected a positive integer, got "0"'],
    [["status", "--project", "nope"], 'buildledger: status: --project: unknown project "nope"'],
  ])("%j: one line and a non-zero exit", async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(message);
  });
});
