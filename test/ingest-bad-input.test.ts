// Bad input over HTTP: each case gets its stated 4xx with a message naming the
// field, nothing of the bad report is stored, and every other report stays intact.
import { gzipSync } from "node:zlib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";
import { post, startService, token, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let svc: Service;
let limited: Service;
let sql: pg.Pool;
let atlas: string;
let borealis: string;

const good = (cl: number, extra: Record<string, unknown> = {}) => JSON.stringify({
  project: "atlas", changelist: cl, build: { id: `b${cl}` },
  issues: [{ path: "srv/atlas/ui/click.wav", severity: "error", message: "Missing audio cue 'UI_Click_03'" }], ...extra,
});

async function fingerprint() {
  const { rows } = await sql.query(
    `select (select count(*) from ledger.snapshot)::int as snapshots,
            (select count(*) from ledger_private.staged_issue)::int as raw,
            (select count(*) from ledger.changelist)::int as cls,
            (select count(*) from ledger_private.upload_issue)::int as upload_lines,
            (select string_agg(snapshot_id || ':' || content_version || ':' || raw_issue_count, ',' order by snapshot_id)
               from ledger.snapshot) as versions`);
  return rows[0];
}

beforeAll(async () => {
  db = await cloneDatabase();
  svc = await startService(db.url, { maxBodyBytes: 64 * 1024, maxStreamBytes: 256 * 1024 });
  limited = await startService(db.url, { graphql: false, ratePerMinute: 60, rateBurst: 3 });
  sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
  atlas = await token(db.url, "atlas", "atlas-ci");
  borealis = await token(db.url, "borealis", "borealis-ci");
  expect((await post(svc.base, good(1), { token: atlas })).status).toBe(202);
  expect((await post(svc.base, good(2), { token: atlas })).status).toBe(202);
});
afterAll(async () => {
  await svc?.close();
  await limited?.close();
  await sql?.end();
  await db?.drop();
});

describe("authentication", () => {
  it("no token: 401", async () => {
    const before = await fingerprint();
    const r = await post(svc.base, good(3));
    expect(r.status).toBe(401);
    expect(r.json.error).toMatch(/^authorization: missing/);
    expect(await fingerprint()).toEqual(before);
  });
  it("unknown token: 401", async () => {
    expect((await post(svc.base, good(3), { token: "blt_not-a-real-token" })).status).toBe(401);
  });
  it("another project's token: 403", async () => {
    const before = await fingerprint();
    const r = await post(svc.base, good(3), { token: borealis });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/^project: this token may post to "borealis", not to "atlas"/);
    expect(await fingerprint()).toEqual(before);
  });
  it("a revoked token: 401, and the project's other tokens still work", async () => {
    const t = await token(db.url, "atlas", "to-revoke");
    expect((await post(svc.base, good(10), { token: t })).status).toBe(202);
    await sql.query("update ledger_private.ingest_token set revoked_at = now() where name = 'to-revoke'");
    const r = await post(svc.base, good(11), { token: t });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatch(/revoked/);
    expect((await post(svc.base, good(11), { token: atlas })).status).toBe(202);
  });
});

describe("limits", () => {
  it("a body over the size limit: 413, also after gzip decompression", async () => {
    const before = await fingerprint();
    const big = good(20, { description: "x".repeat(100 * 1024) });
    expect((await post(svc.base, big, { token: atlas })).status).toBe(413);
    const r = await post(svc.base, gzipSync(big), { token: atlas, headers: { "content-encoding": "gzip" } });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/^body: larger than/);
    expect(await fingerprint()).toEqual(before);
  });
  it("an NDJSON stream over its limit: 413 and no upload lines left behind", async () => {
    const before = await fingerprint();
    const lines = [JSON.stringify({ project: "atlas", changelist: 21 })];
    for (let i = 0; i < 5000; i++) lines.push(JSON.stringify({ path: `srv/atlas/a${i}`, severity: "info", message: `m${i}` }));
    const r = await post(svc.base, lines.join("\n"), { token: atlas, type: "application/x-ndjson" });
    expect(r.status).toBe(413);
    expect(await fingerprint()).toEqual(before);
  });
  it("too many reports for one token: 429 with Retry-After; another project is unaffected", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await post(limited.base, good(30 + i), { token: atlas });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const other = await post(limited.base, JSON.stringify({ project: "borealis", changelist: 1, issues: [] }), { token: borealis });
    expect(other.status).toBe(202);
  });
});

describe("validation: 400 naming the field, nothing stored", () => {
  const cases: [string, string | Buffer, string, RegExp, string?][] = [
    ["broken JSON", '{"project": "atlas", ', "application/json", /^body: invalid JSON/],
    ["missing project", JSON.stringify({ changelist: 5, issues: [] }), "application/json", /^project: required/],
    ["bad changelist", JSON.stringify({ project: "atlas", changelist: -4, issues: [] }), "application/json", /^changelist: /],
    ["unknown severity", JSON.stringify({ project: "atlas", changelist: 5,
      issues: [{ path: "a/b", severity: "catastrophic", message: "x" }] }), "application/json", /^issues\[0\]\.severity: unknown value "catastrophic"/],
    ["issue outside coverage", JSON.stringify({ project: "atlas", changelist: 5, build: { covered_paths: ["srv/atlas/audio"] },
      issues: [{ path: "srv/atlas/ui/x", severity: "error", message: "x" }] }), "application/json", /^issues\[0\]\.path: .* outside/],
    ["invalid UTF-8", Buffer.concat([Buffer.from('{"project": "atlas", "changelist": 5, "author": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      "application/json", /^body: invalid UTF-8/],
    ["NDJSON without header", "", "application/x-ndjson", /^header: missing/],
    ["NDJSON with a broken line", [JSON.stringify({ project: "atlas", changelist: 5 }),
      JSON.stringify({ path: "a/b", severity: "error", message: "ok" }), "{nope"].join("\n"),
      "application/x-ndjson", /^issues\[1\] \(line 3\): invalid JSON/],
    ["NDJSON with a bad issue", [JSON.stringify({ project: "atlas", changelist: 5 }),
      JSON.stringify({ path: "a/b", severity: "error", message: "ok" }), JSON.stringify({ path: "a/c", severity: "error" })].join("\n"),
      "application/x-ndjson", /^issues\[1\]\.message: required/],
    ["SARIF of the wrong version", JSON.stringify({ version: "1.0.0", runs: [] }), "application/sarif+json", /^sarif\.version: /, "project=atlas&cl=5"],
    ["log without a changelist", "LogAudio: Error: Missing cue 'X'", "text/plain", /^changelist: required/, "project=atlas"],
    ["garbage gzip", Buffer.from("not gzip at all"), "application/json", /^body: not valid gzip/],
  ];
  for (const [name, body, type, re, query] of cases) {
    it(name, async () => {
      const before = await fingerprint();
      const r = await post(svc.base, body, { token: atlas, type, query,
        headers: name === "garbage gzip" ? { "content-encoding": "gzip" } : {} });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(String(r.json.error)).toMatch(re);
      expect(await fingerprint()).toEqual(before);
    });
  }
  it("an unsupported content type: 415; an unknown format: 400", async () => {
    expect((await post(svc.base, "<xml/>", { token: atlas, type: "application/xml" })).status).toBe(415);
    const r = await post(svc.base, "{}", { token: atlas, query: "format=yaml" });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/^format: /);
  });
  it("NUL bytes are stripped, not rejected", async () => {
    const r = await post(svc.base, JSON.stringify({ project: "atlas", changelist: 40, author: "j\u0000doe",
      issues: [{ path: "srv/atlas/ui/n\u0000ul.wav", severity: "error", message: "Missing\u0000 cue" }] }), { token: atlas });
    expect(r.status).toBe(202);
    const { rows } = await sql.query(
      `select r.path, r.message, c.author from ledger_private.staged_issue r join ledger.snapshot s using (snapshot_id)
         join ledger.changelist c on c.project = s.project and c.stream = s.stream and c.cl = s.cl where s.cl = 40`);
    expect(rows).toEqual([{ path: "srv/atlas/ui/nul.wav", message: "Missing cue", author: "jdoe" }]);
  });
  it("GET /v1/snapshots/:id: 400 for a bad id, 404 for an unknown one or another project's, 401 without a token", async () => {
    const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    expect((await fetch(`${svc.base}/v1/snapshots/abc`, auth(atlas))).status).toBe(400);
    expect((await fetch(`${svc.base}/v1/snapshots/999999`, auth(atlas))).status).toBe(404);
    const r = await post(svc.base, good(41), { token: atlas });
    expect(r.status).toBe(202);
    expect((await fetch(`${svc.base}/v1/snapshots/${r.json.snapshot_id}`)).status).toBe(401);
    expect((await fetch(`${svc.base}/v1/snapshots/${r.json.snapshot_id}`, auth(borealis))).status).toBe(404);
    const mine = await fetch(`${svc.base}/v1/snapshots/${r.json.snapshot_id}`, auth(atlas));
    expect(mine.status).toBe(200);
    expect((await mine.json()).project).toBe("atlas");
  });
});

describe("staging reads a report the same way on both of its paths", () => {
  // ledger_private.stage reads a report whose issues all look valid in one pass
  // (jsonb_to_recordset) and any other through ledger_private.issue_fields, issue by
  // issue. For random reports mixing valid and invalid issues, the staged rows (and so
  // the first error named) must be exactly what issue_fields alone gives.
  const pick = <T,>(r: () => number, xs: T[]) => xs[Math.floor(r() * xs.length)];
  const paths = ["srv/a/b.uasset", " srv\\a\\\\b//c.wav ", "/lead/trail/", "x", "a/".repeat(31) + "z", "a/".repeat(33) + "z", "", "  ", "//", "ü/ñ/文件.txt", "a".repeat(1100)];
  const severities = ["error", "Warning", " fatal ", "WARN", "display", "note", "info", "bogus", ""];
  const messages = ["m", "  padded  message ", "\ttab", " ", "", "x".repeat(16390), "ünïcode ✓", "line\nbreak"];
  const categories: unknown[] = [undefined, null, "", "  ", "clang-tidy", 7, "c".repeat(300)];
  const counts: unknown[] = [undefined, null, 1, 3, 2.0, 2.5, 0, -1, 2147483647, 2147483648, "3", 1e400];
  function issue(r: () => number, valid: boolean): unknown {
    if (!valid && r() < 0.1) return pick(r, ["str", 5, null, [1]]);
    const o: Record<string, unknown> = {};
    const typed = (v: unknown) => (!valid && r() < 0.15 ? pick(r, [5, true, null, {}, ["x"]]) : v);
    if (valid || r() < 0.9) o.path = typed(valid ? pick(r, paths.slice(0, 6)) : pick(r, paths));
    if (valid || r() < 0.9) o.severity = typed(valid ? pick(r, severities.slice(0, 7)) : pick(r, severities));
    if (valid || r() < 0.9) o.message = typed(valid ? pick(r, messages.slice(0, 3).concat(messages.slice(6))) : pick(r, messages));
    const c = valid ? pick(r, categories.slice(0, 5)) : pick(r, categories);
    if (c !== undefined) o.category = c;
    const n = valid ? pick(r, counts.slice(0, 5).concat([2147483647])) : pick(r, counts);
    if (n !== undefined) o.count = n;
    return o;
  }
  it("300 random reports: fast path = issue by issue", async () => {
    const { rng } = await import("./helpers/random.js");
    const r = rng(20261207);
    const c = await sql.connect();
    try {
      let fast = 0;
      for (let k = 0; k < 300; k++) {
        const allValid = r() < 0.5;
        const issues = Array.from({ length: 1 + Math.floor(r() * 6) }, () => issue(r, allValid || r() < 0.7));
        const report = JSON.stringify({ project: "stagecheck", changelist: 1, issues });
        await c.query("begin");
        const got = await c.query("select ledger_private.stage($1::jsonb, false, false)", [report])
          .then(() => c.query("select ord, path, severity, category, message, occurrences, err from _bl_stage_issue order by ord"))
          .then((x) => ({ rows: x.rows, error: null as string | null }), (e) => ({ rows: null, error: (e as Error).message }));
        await c.query("rollback");
        const want = await c.query(
          `select t.ord, f.* from jsonb_array_elements($1::jsonb -> 'issues') with ordinality as t(e, ord)
            cross join lateral ledger_private.issue_fields(t.e) f order by t.ord`, [report]);
        const firstErr = want.rows.find((x) => x.err !== null);
        if (firstErr) {
          expect(got.error, report).toBe(`issues[${Number(firstErr.ord) - 1}]${firstErr.err}`);
        } else {
          expect(got.error, report).toBeNull();
          expect(got.rows, report).toEqual(want.rows);
          fast++;
        }
      }
      expect(fast).toBeGreaterThan(100);   // both paths really ran
    } finally {
      c.release();
    }
  });
});
