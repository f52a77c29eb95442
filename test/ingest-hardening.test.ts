// Hardening of the ingest service (issue 9): no wedge under many concurrent or slow
// uploads, trust before work (the token is checked before a byte of the body is
// read), linear and bounded line splitting, bounded gzip inflation, exact 64-bit
// CLs, well-formed Unicode and bounded nesting, bounded waits (503 + Retry-After,
// 408), readiness that sees an exhausted pool, /metrics exposure, and the sweep of
// abandoned uploads.
import http from "node:http";
import { gzipSync } from "node:zlib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";
import { post, startService, token, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let sql: pg.Pool;
let tok: string;
const services: Service[] = [];

beforeAll(async () => {
  db = await cloneDatabase();
  sql = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
  tok = await token(db.url, "hard");
});
afterAll(async () => {
  for (const s of services) await s.close().catch(() => {});
  await sql.end();
  await db.drop();
});
async function service(opts: Parameters<typeof startService>[1] = {}) {
  const s = await startService(db.url, opts);
  services.push(s);
  return s;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A raw HTTP POST whose body is written piece by piece by `writer`; resolves with
 * the status and body, and how many body bytes were written before the answer came.
 */
function rawPost(base: string, path: string, headers: Record<string, string>,
                 writer: (req: http.ClientRequest, answered: () => boolean) => Promise<void>) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const u = new URL(path, base);
    let answered = false;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: "POST", headers }, (res) => {
      answered = true;
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", (e) => { if (!answered) reject(e); });
    writer(req, () => answered).then(() => { if (!req.destroyed) req.end(); }, () => {});
  });
}

const ndHeader = (cl: number) => JSON.stringify({ project: "hard", changelist: cl, build: { id: `nd-${cl}` } }) + "\n";
const ndIssue = (cl: number, i: number) =>
  JSON.stringify({ path: `srv/hard/t${i % 3}/a${i}`, severity: "warning", message: `w${i} at ${cl}` }) + "\n";

describe("no wedge", () => {
  it("more concurrent slow NDJSON uploads than pool connections are all accepted", async () => {
    const svc = await service({ poolSize: 3 });
    const n = 10;
    const uploads = Array.from({ length: n }, (_, k) => rawPost(svc.base, "/v1/reports",
      { "content-type": "application/x-ndjson", authorization: `Bearer ${tok}`, "transfer-encoding": "chunked" },
      async (req) => {
        req.write(ndHeader(100 + k));
        for (let part = 0; part < 5; part++) {
          let chunk = "";
          for (let i = 0; i < 200; i++) chunk += ndIssue(100 + k, part * 200 + i);
          req.write(chunk);
          await sleep(40);
        }
      }));
    const results = await Promise.all(uploads);
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(202));
    const { rows } = await sql.query(
      "select count(*)::int as n, sum(raw_issue_count)::int as issues from ledger.snapshot where project = 'hard' and cl between 100 and 109");
    expect(rows[0]).toEqual({ n, issues: n * 1000 });
  });

  it("clients with bogus tokens and big bodies are refused before their bodies are read", async () => {
    const svc = await service();
    const oneMiB = Buffer.alloc(1024 * 1024, 0x20);
    const written: number[] = [];
    const bogus = Array.from({ length: 12 }, () => rawPost(svc.base, "/v1/reports",
      { "content-type": "application/json", authorization: "Bearer blt_bogus", "content-length": String(200 * 1024 * 1024) },
      async (req, answered) => {
        let n = 0;
        // Up to 200 MiB, but stop as soon as the answer arrives.
        for (let i = 0; i < 200 && !answered() && !req.destroyed; i++) {
          if (!req.write(oneMiB)) await new Promise((r) => { req.once("drain", r); req.once("close", r); setTimeout(r, 200); });
          n++;
        }
        written.push(n);
        req.destroy();
      }).catch(() => ({ status: -1, body: "", headers: {} })));
    const good = await post(svc.base, JSON.stringify({ project: "hard", changelist: 200, issues: [] }), { token: tok });
    expect(good.status).toBe(202);
    const statuses = (await Promise.all(bogus)).map((r) => r.status);
    // Answered 401 (or the connection was closed on them after the answer).
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 401 || s === -1)).toBe(true);
    // None of them got to send its 200 MiB.
    expect(Math.max(...written)).toBeLessThan(200);
  });

  it("every other route that takes a body checks the token before reading or parsing it", async () => {
    const svc = await service();
    const oneMiB = Buffer.alloc(1024 * 1024, 0x7b); // "{{{{…": JSON that would not parse
    const routes: [string, string, string][] = [
      ["POST", "/v1/changelists", "application/json"], ["POST", "/v1/triage", "application/json"],
      ["PUT", "/v1/owners?project=hard", "text/plain"], ["PUT", "/v1/gate/policy?project=hard", "application/json"],
      ["PUT", "/v1/source-roots?project=hard", "application/json"], ["PUT", "/v1/subscriptions?project=hard", "application/json"]];
    for (const [method, path, type] of routes) {
      for (const authorization of [undefined, "Bearer blt_bogus"]) {
        const u = new URL(path, svc.base);
        let written = 0;
        const res = await new Promise<{ status: number; body: string }>((resolve) => {
          const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method,
            headers: { "content-type": type, "content-length": String(60 * 1024 * 1024), ...(authorization ? { authorization } : {}) } },
            (r) => { let b = ""; r.on("data", (c) => (b += c)); r.on("end", () => resolve({ status: r.statusCode ?? 0, body: b })); });
          req.on("error", () => resolve({ status: -1, body: "" }));
          void (async () => {
            // a 60 MiB body, sent as long as no answer came
            for (let i = 0; i < 60 && !req.destroyed && written >= 0; i++) {
              if (!req.write(oneMiB)) await new Promise((r) => { req.once("drain", r); req.once("close", r); setTimeout(r, 200); });
              written++;
            }
          })();
        });
        expect([method, path, authorization ?? "none", res.status]).toEqual([method, path, authorization ?? "none", 401]);
        expect(res.body).toMatch(/authorization: (missing ingest token|unknown token)/);
        expect(written).toBeLessThan(60);
      }
    }
    // a valid token still reaches the route (and its own checks of the body)
    const ok = await fetch(new URL("/v1/changelists", svc.base), { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tok}` },
      body: JSON.stringify([{ project: "hard", cl: 5, files: ["srv/hard/a"] }]) });
    expect(ok.status).not.toBe(401);
    const bad = await fetch(new URL("/v1/changelists", svc.base), { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tok}` },
      body: "{\"nope\": 1}" });
    expect(bad.status).toBe(400);
  });
  it("a report without a body is a 400 naming the body, not a 500", async () => {
    const svc = await service();
    const res = await fetch(new URL("/v1/reports?format=json", svc.base), { method: "POST", headers: { authorization: `Bearer ${tok}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/body/);
  });
  it("a full upload slot table answers 503 with Retry-After, and frees the slot afterwards", async () => {
    const svc = await service({ maxConcurrentUploads: 1 });
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const slow = rawPost(svc.base, "/v1/reports",
      { "content-type": "application/x-ndjson", authorization: `Bearer ${tok}`, "transfer-encoding": "chunked" },
      async (req) => { req.write(ndHeader(300)); await hold; req.write(ndIssue(300, 1)); });
    await sleep(300);
    const busy = await post(svc.base, JSON.stringify({ project: "hard", changelist: 301, issues: [] }), { token: tok });
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toMatch(/^\d+$/);
    release();
    expect((await slow).status).toBe(202);
    expect((await post(svc.base, JSON.stringify({ project: "hard", changelist: 301, issues: [] }), { token: tok })).status).toBe(202);
  });

  it("a body that stops arriving gets 408, and its upload leaves nothing staged", async () => {
    const svc = await service({ bodyIdleMs: 400 });
    const r = await rawPost(svc.base, "/v1/reports",
      { "content-type": "application/x-ndjson", authorization: `Bearer ${tok}`, "transfer-encoding": "chunked" },
      async (req, answered) => {
        req.write(ndHeader(400));
        req.write(ndIssue(400, 1));
        while (!answered()) await sleep(50);
      });
    expect(r.status).toBe(408);
    const { rows } = await sql.query(
      "select count(*)::int as n from ledger.snapshot where project = 'hard' and cl = 400");
    expect(rows[0].n).toBe(0);
  });

  it("/readyz says 503 when no pooled connection can be had", async () => {
    const svc = await service({ poolSize: 1 });
    expect((await fetch(`${svc.base}/readyz`)).status).toBe(200);
    const held = await svc.server.pool.connect();
    try {
      const r = await fetch(`${svc.base}/readyz`);
      expect(r.status).toBe(503);
      expect((await r.json()).detail).toMatch(/^pool: no database connection/);
      expect((await fetch(`${svc.base}/healthz`)).status).toBe(200);
    } finally {
      held.release();
    }
    expect((await fetch(`${svc.base}/readyz`)).status).toBe(200);
  });
});

describe("limits before work", () => {
  it("an NDJSON body without newlines is refused at the line limit", async () => {
    const svc = await service({ maxLineBytes: 64 * 1024 });
    const body = ndHeader(500) + "x".repeat(4 * 1024 * 1024);
    const r = await post(svc.base, body, { token: tok, type: "application/x-ndjson" });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/^line 2: longer than the limit/);
  });

  it("a gzip bomb is refused without inflating it, in every format", async () => {
    const svc = await service();
    const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    for (const type of ["application/json", "application/x-ndjson", "text/plain"]) {
      const r = await post(svc.base, bomb, { token: tok, type, headers: { "content-encoding": "gzip" } });
      expect(r.status, type).toBe(413);
      expect(r.json.error, type).toMatch(/gzip data expands more than 200 times|longer than the limit/);
    }
  });

  it("CLs are exact 64-bit integers end to end; beyond int8 is a 400 naming changelist", async () => {
    const svc = await service();
    const big = "9007199254740993"; // 2^53 + 1: a JSON number a double cannot hold
    const r = await post(svc.base, `{"project":"hard","changelist":${big},"issues":[]}`, { token: tok });
    expect(r.status).toBe(202);
    const { rows } = await sql.query("select cl::text from ledger.snapshot where snapshot_id = $1", [r.json.snapshot_id]);
    expect(rows[0].cl).toBe(big);
    const nd = await post(svc.base, `{"project":"hard","changelist":9007199254740995,"build":{"id":"x"}}\n`, { token: tok, type: "application/x-ndjson" });
    expect(nd.status).toBe(202);
    const { rows: r2 } = await sql.query("select cl::text from ledger.snapshot where snapshot_id = $1", [nd.json.snapshot_id]);
    expect(r2[0].cl).toBe("9007199254740995");
    for (const cl of ["9223372036854775808", "-1", "0", '"abc"', "1.5"]) {
      const bad = await post(svc.base, `{"project":"hard","changelist":${cl},"issues":[]}`, { token: tok });
      expect(bad.status, cl).toBe(400);
      expect(bad.json.field, cl).toBe("changelist");
    }
  });

  it("lone surrogates and deep nesting are 400s naming the field, never 500s", async () => {
    const svc = await service();
    const nd = ndHeader(600) + `{"path":"srv/hard/a","severity":"error","message":"bad \\ud800 cue"}\n`;
    const r1 = await post(svc.base, nd, { token: tok, type: "application/x-ndjson" });
    expect(r1.status).toBe(400);
    expect(r1.json.field).toBe("issues[0].message");
    const r2 = await post(svc.base, `{"project":"hard","changelist":601,"issues":[{"path":"srv/hard/a","severity":"error","message":"\\udc00"}]}`, { token: tok });
    expect(r2.status).toBe(400);
    expect(r2.json.field).toBe("issues[0].message");
    const deep = `{"project":"hard","changelist":602,"x":${"[".repeat(3000)}${"]".repeat(3000)},"issues":[]}`;
    const r3 = await post(svc.base, deep, { token: tok });
    expect(r3.status).toBe(400);
    expect(r3.json.error).toMatch(/nested deeper than/);
    const { rows } = await sql.query("select count(*)::int as n from ledger.snapshot where project = 'hard' and cl between 600 and 602");
    expect(rows[0].n).toBe(0);
  });
});

describe("exposure", () => {
  it("/metrics needs the metrics token in token mode, and is absent when off", async () => {
    const withToken = await service({ metrics: "token", metricsToken: "s3cret" });
    expect((await fetch(`${withToken.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${withToken.base}/metrics`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const ok = await fetch(`${withToken.base}/metrics`, { headers: { authorization: "Bearer s3cret" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP buildledger_reports_received_total/m);
    const off = await service({ metrics: "off" });
    expect((await fetch(`${off.base}/metrics`)).status).toBe(404);
  });
});

describe("abandoned uploads", () => {
  it("the sweep fails uploads idle past the limit and deletes their lines; live ones stay", async () => {
    const { rows: [old] } = await sql.query(
      `insert into ledger_private.upload (header, touched_at) values ('{"project":"hard"}', now() - interval '1 hour') returning upload_id`);
    const { rows: [live] } = await sql.query(
      `insert into ledger_private.upload (header) values ('{"project":"hard"}') returning upload_id`);
    for (const u of [old.upload_id, live.upload_id]) {
      await sql.query(`insert into ledger_private.upload_issue (upload_id, ord, doc) values ($1, 1, '{}'), ($1, 2, '{}')`, [u]);
    }
    const { rows: [swept] } = await sql.query("select ledger_private.sweep_uploads() as n");
    expect(swept.n).toBeGreaterThanOrEqual(1);
    const { rows } = await sql.query(
      `select u.upload_id, u.state, (select count(*)::int from ledger_private.upload_issue i where i.upload_id = u.upload_id) as lines
         from ledger_private.upload u where u.upload_id = any($1) order by u.upload_id`, [[old.upload_id, live.upload_id]]);
    expect(rows).toEqual([
      { upload_id: old.upload_id, state: "failed", lines: 0 },
      { upload_id: live.upload_id, state: "receiving", lines: 2 },
    ]);
    expect((await sql.query("select ledger_private.sweep_uploads() as n")).rows[0].n).toBe(0);
  });
});

describe("GraphQL limits", () => {
  /** A 1.3 KB query of nested fragments: each level spreads the one below twice (2^30 fields). */
  function fragmentBomb(levels = 30) {
    let q = "query Q { ...F0 }\nfragment F" + levels + " on Query { __typename }\n";
    for (let i = 0; i < levels; i++) q += `fragment F${i} on Query { ...F${i + 1} a${i}: __typename ...F${i + 1} }\n`;
    return q;
  }
  it("a nested-fragment bomb is refused at once while /healthz stays fast; a normal query runs", async () => {
    const svc = await service();
    const bomb = fragmentBomb();
    const t0 = Date.now();
    const [r, health] = await Promise.all([
      fetch(`${svc.base}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: bomb }) }),
      fetch(`${svc.base}/healthz`),
    ]);
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toMatch(/query: selects \d+ fields with fragments expanded \(at most 5000\)/);
    expect(health.status).toBe(200);
    // (how long it took is a benchmark figure, not an assertion; printed for the log)
    console.log(`fragment bomb refused in ${Date.now() - t0} ms`);
    const deep = "{ " + "a: __typename ".repeat(1) + "}";
    const ok = await fetch(`${svc.base}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: deep }) });
    expect(ok.status).toBe(200);
    expect((await ok.json()).data).toEqual({ a: "Query" });
  });
  it("introspection is off in production and on otherwise", async () => {
    const q = JSON.stringify({ query: "{ __schema { queryType { name } } }" });
    const headers = { "content-type": "application/json", accept: "application/json" };
    const prod = await service({ production: true });
    const pr = await (await fetch(`${prod.base}/graphql`, { method: "POST", headers, body: q })).json();
    expect(pr.errors?.[0]?.message).toMatch(/introspection/i);
    const dev = await service({ production: false });
    const dr = await (await fetch(`${dev.base}/graphql`, { method: "POST", headers, body: q })).json();
    expect(dr.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});

describe("tokens", () => {
  it("token create refuses unknown projects unless declared, and names are unique among a project's active tokens", async () => {
    const { createToken, revokeToken } = await import("../lib/tokens.js");
    await expect(createToken(sql, "never-reported", "ci")).rejects.toThrow(/^project: unknown project "never-reported"/);
    const a = await createToken(sql, "hard", "ci-main");
    await expect(createToken(sql, "hard", "ci-main")).rejects.toThrow(/^name: project "hard" already has an active token named "ci-main"/);
    expect(await revokeToken(sql, "ci-main", "hard")).toBe(1);
    const b = await createToken(sql, "hard", "ci-main");
    expect(b.token).not.toBe(a.token);
    const c = await createToken(sql, "brand-new", "ci", { createProject: true });
    expect(c.row.project).toBe("brand-new");
  });
});
