// End to end over real HTTP: reports in every format go to a real server, a real
// worker (graphile-worker, in process) processes them, and the resulting counts are
// read back through GraphQL over HTTP.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { startWorker, drainQueue, type RunningWorker } from "../worker/index.js";
import { cloneDatabase } from "./helpers/db.js";
import { graphql, post, startService, token, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let svc: Service;
let worker: RunningWorker;
let tok: string;
let sql: pg.Pool;
const fixture = (p: string) => readFile(path.join(ROOT, "test", "fixtures", p));

beforeAll(async () => {
  db = await cloneDatabase();
  svc = await startService(db.url);
  worker = await startWorker({ databaseUrl: db.url, handleSignals: false, log: () => {} });
  tok = await token(db.url, "e2e");
  sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
});
afterAll(async () => {
  await worker?.stop();
  await svc?.close();
  await sql?.end();
  await db?.drop();
});

const issue = (name: string, severity = "error") =>
  ({ path: `eu-build-01/e2e/audio/${name}.wav`, severity, message: `Missing audio cue '${name}' at 0x7ffe12ab` });

describe("every format over HTTP, processed by the worker, read through GraphQL", () => {
  it("JSON, gzip NDJSON, SARIF from clang and Unreal/MSVC logs", async () => {
    // main: CL 100 (JSON) has A, B; CL 101 (NDJSON, gzip) has B, C -> new C, resolved A
    const r1 = await post(svc.base, JSON.stringify({ project: "e2e", changelist: 100, build: { id: "b100" },
      issues: [issue("A"), issue("B", "warning")] }), { token: tok });
    expect(r1.status).toBe(202);
    const nd = [JSON.stringify({ project: "e2e", changelist: 101, build: { id: "b101" } }),
      JSON.stringify(issue("B", "warning")), JSON.stringify(issue("C"))].join("\n") + "\n";
    const r2 = await post(svc.base, gzipSync(nd), { token: tok, type: "application/x-ndjson", headers: { "content-encoding": "gzip" } });
    expect(r2.status).toBe(202);
    expect(r2.json.issues).toBe(2);

    const sarif = await fixture("sarif/clang16-physics_step.sarif");
    const r3 = await post(svc.base, sarif, { token: tok, type: "application/sarif+json",
      query: "project=e2e&stream=sarif&cl=1&path_prefix=eu-build-01/e2e/code&source_root=/work/main/test/fixtures/sarif" });
    expect(r3.status).toBe(202);
    const cook = await fixture("logs/unreal-cook-atlas.log");
    const r4 = await post(svc.base, cook, { token: tok, type: "text/plain",
      query: "project=e2e&stream=cook&cl=1&path_prefix=eu-build-01/e2e" });
    expect(r4.status).toBe(202);
    const build = await fixture("logs/msvc-clang-build.log");
    const r5 = await post(svc.base, build, { token: tok, type: "text/plain",
      headers: { "x-buildledger-project": "e2e", "x-buildledger-stream": "compile", "x-buildledger-changelist": "7" } });
    expect(r5.status).toBe(202);

    await drainQueue(db.url, { timeoutMs: 60_000 });
    for (const r of [r1, r2, r3, r4, r5]) {
      const st = await fetch(`${svc.base}${r.json.status_url}`, { headers: { authorization: `Bearer ${tok}` } }).then((x) => x.json());
      expect(st.state).toBe("done");
      expect(st.snapshot_id).toBe(r.json.snapshot_id);
    }

    const q = await graphql(svc.base, `query($p: String!) {
      allChangelistMetrics(condition: {project: $p}, orderBy: [STREAM_ASC, CL_ASC], first: 1000) { nodes { stream cl total new resolved } }
    }`, { p: "e2e" });
    expect(q.body.errors).toBeUndefined();
    expect(q.body.data.allChangelistMetrics.nodes).toEqual([
      { stream: "compile", cl: "7", total: 6, new: 6, resolved: 0 },
      { stream: "cook", cl: "1", total: 9, new: 9, resolved: 0 },
      { stream: "main", cl: "100", total: 2, new: 2, resolved: 0 },
      { stream: "main", cl: "101", total: 2, new: 1, resolved: 1 },
      { stream: "sarif", cl: "1", total: 5, new: 5, resolved: 0 },
    ]);

    const sev = async (stream: string, cl: string) => {
      const r = await graphql(svc.base, `query($s: String!, $cl: BigInt!) {
        openIssuesAt(project: "e2e", cl: $cl, stream: $s) { nodes { severity path } } }`, { s: stream, cl });
      expect(r.body.errors).toBeUndefined();
      const counts: Record<string, number> = {};
      for (const n of r.body.data.openIssuesAt.nodes) counts[n.severity] = (counts[n.severity] ?? 0) + 1;
      return { counts, paths: r.body.data.openIssuesAt.nodes.map((n: { path: string }) => n.path) };
    };
    const s = await sev("sarif", "1");
    expect(s.counts).toEqual({ warning: 5 }); // the 2 notes are context of the first warning, not issues
    expect(new Set(s.paths)).toEqual(new Set(["eu-build-01/e2e/code/physics_step.c"]));
    expect((await sev("cook", "1")).counts).toEqual({ error: 3, warning: 6 });
    expect((await sev("compile", "7")).counts).toEqual({ error: 3, warning: 3 });

    const d = await graphql(svc.base, `{ diff(project: "e2e", fromCl: "100", toCl: "101") { nodes { status } } }`);
    const statuses = d.body.data.diff.nodes.map((n: { status: string }) => n.status).sort();
    expect(statuses).toEqual(["new", "resolved", "unchanged"]);
  });

  it("a database error of class 22 reaches the GraphQL client with its message", async () => {
    const r = await graphql(svc.base, `{ diff(project: "no-such-project", fromCl: "1", toCl: "2") { totalCount } }`);
    expect(r.body.errors?.[0].message).toMatch(/project: unknown project "no-such-project"/);
    expect(r.body.errors?.[0].extensions?.code).toMatch(/^22/);
  });

  it("GraphQL is read-only: no mutations exist", async () => {
    const r = await graphql(svc.base, `{ __schema { mutationType { name } } }`);
    expect(r.body.data.__schema.mutationType).toBeNull();
  });

  it("GraphiQL is served in development and not in production mode", async () => {
    const dev = await fetch(`${svc.base}/graphiql`);
    expect(dev.status).toBe(200);
    expect(await dev.text()).toMatch(/<html/i);
    const prod = await startService(db.url, { production: true });
    try {
      expect((await fetch(`${prod.base}/graphiql`)).status).toBe(404);
      const q = await graphql(prod.base, "{ allProjects { totalCount } }");
      expect(q.body.data.allProjects.totalCount).toBeGreaterThan(0);
    } finally {
      await prod.close();
    }
  });

  it("re-posting the same build never creates a second snapshot", async () => {
    const body = JSON.stringify({ project: "e2e", stream: "repost", changelist: 5, build: { id: "same" }, issues: [issue("R")] });
    const a = await post(svc.base, body, { token: tok });
    const b = await post(svc.base, body, { token: tok });
    const c = await post(svc.base, JSON.stringify({ project: "e2e", stream: "repost", changelist: 5, build: { id: "same" },
      issues: [issue("R"), issue("S")] }), { token: tok });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(b.json.snapshot_id).toBe(a.json.snapshot_id);
    expect(c.json.snapshot_id).toBe(a.json.snapshot_id);
    const { rows } = await sql.query("select count(*)::int as n, max(raw_issue_count) as raw from ledger.snapshot where stream = 'repost'");
    expect(rows[0]).toEqual({ n: 1, raw: 2 });
  });

  it("a project's configured source roots place absolute paths of its logs", async () => {
    const put = (body: unknown) => fetch(`${svc.base}/v1/source-roots?project=e2e`, {
      method: "PUT", headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await put({ roots: [""] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe("roots[0]");
    const ok = await put({ roots: ["/u1/build/agent7", "D:\\farm\\w3"] });
    expect(ok.status).toBe(200);
    expect((await ok.json()).roots).toEqual(["/u1/build/agent7", "D:\\farm\\w3"]);
    const log = [
      "/u1/build/agent7/src/core/physics.cpp:5:7: warning: unused variable 'scratch' [-Wunused-variable]",
      "D:\\farm\\w3\\src\\core\\physics.cpp(9,18): warning: format specifies type 'char *' but the argument has type 'int' [-Wformat]",
      "/elsewhere/src/core/physics.cpp:3:12: warning: unused function 'unused_helper' [-Wunused-function]",
    ].join("\n");
    const r = await post(svc.base, log, { token: tok, type: "text/plain", query: "project=e2e&stream=roots&cl=1&path_prefix=srv/e2e" });
    expect(r.status).toBe(202);
    const { rows } = await sql.query(
      "select path from ledger_private.staged_issue where snapshot_id = $1 order by ordinal", [r.json.snapshot_id]);
    expect(rows.map((x) => x.path)).toEqual(["srv/e2e/src/core/physics.cpp", "srv/e2e/src/core/physics.cpp", "srv/e2e/elsewhere/src/core/physics.cpp"]);
  });

  it("health, readiness and Prometheus metrics", async () => {
    expect((await fetch(`${svc.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: true, migrations: true });
    const m = await (await fetch(`${svc.base}/metrics`)).text();
    expect(m).toMatch(/^buildledger_reports_received_total\{format="json",outcome="accepted"\} [1-9]\d*$/m);
    expect(m).toMatch(/^buildledger_issues_received_total [1-9]\d*$/m);
    expect(m).toMatch(/^buildledger_snapshots\{state="done"\} [1-9]\d*$/m);
    expect(m).toMatch(/^buildledger_timeline_lag_seconds\{project="e2e",stream="main"\} 0$/m);
  });
});
