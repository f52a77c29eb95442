// Hostile inputs found by probing: each gets a 4xx (or SQLSTATE class 22) naming the
// field, nothing of it is stored, and nothing is silently altered or dropped.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson } from "../lib/text.js";
import { cloneDatabase } from "./helpers/db.js";
import { post, startService, token, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let svc: Service;
let sql: pg.Pool;
let tok: string;

async function fingerprint() {
  const { rows } = await sql.query(
    `select (select count(*) from ledger.snapshot)::int as snapshots,
            (select count(*) from ledger.changelist)::int as cls,
            (select count(*) from ledger_private.upload_issue)::int as upload_lines,
            (select string_agg(snapshot_id || ':' || content_version, ',' order by snapshot_id) from ledger.snapshot) as versions`);
  return rows[0];
}

async function sqlError(text: string, params: unknown[]) {
  try {
    await sql.query(text, params);
  } catch (e) {
    return e as Error & { code: string };
  }
  throw new Error("expected an error");
}

const issue = { path: "srv/hostile/a", severity: "error", message: "m" };

beforeAll(async () => {
  db = await cloneDatabase();
  svc = await startService(db.url);
  sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
  tok = await token(db.url, "hostile", "hostile-ci");
});
afterAll(async () => {
  await svc?.close();
  await sql?.end();
  await db?.drop();
});

describe("numbers are kept exactly or refused, never rounded", () => {
  it("a CL or count a double would round is refused, naming the field", async () => {
    const before = await fingerprint();
    const cases: [string, string][] = [
      [`{"project":"hostile","changelist":1.0000000000000000001,"issues":[]}`, "changelist"],
      [`{"project":"hostile","changelist":1e400,"issues":[]}`, "changelist"],
      [`{"project":"hostile","changelist":2,"issues":[${JSON.stringify(issue).replace("}", ',"count":2.0000000000000001}')}]}`, "issues[0].count"],
      [`{"project":"hostile","changelist":2,"issues":[${JSON.stringify(issue).replace("}", ',"count":1e400}')}]}`, "count"],
      // (written out, 1e300 is 301 digits and 0e-99999 is 99,999 zeros: refused when parsed)
      [`{"project":"hostile","changelist":2,"x":{"y":1e300},"issues":[]}`, "y"],
      [`{"project":"hostile","changelist":2,"issues":[${JSON.stringify(issue).replace("}", ',"line":1e-99999}')}]}`, "line"],
    ];
    for (const [body, field] of cases) {
      const r = await post(svc.base, body, { token: tok });
      expect(r.status, body).toBe(400);
      expect(r.json.field, body).toBe(field);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it("a number of a million digits is read in one pass and kept exact; one that would write out huge is refused", () => {
    // (trailing zeros were once stripped by a pattern that took minutes on such a number)
    for (const n of [`1.${"0".repeat(1_000_000)}1`, `0.${"0".repeat(1_000_000)}1`]) {
      expect(JSON.stringify(parseJson(`{"x":${n}}`))).toBe(`{"x":${n}}`);
    }
    expect(() => parseJson(`{"x":${"1".repeat(100)}e${"9".repeat(6)}}`)).toThrow(/characters long written out/);
    expect(() => parseJson(`{"count":1e400}`, "issues (line 3)")).toThrow(expect.objectContaining({ field: "issues (line 3).count" }));
  });

  it("unknown fields keep their exact numbers and a \"__proto__\" key", async () => {
    const r = await post(svc.base, `{"project":"hostile","changelist":3,"pi":3.14159265358979323846264338,"__proto__":{"k":1},"issues":[]}`, { token: tok });
    expect(r.status).toBe(202);
    const { rows } = await sql.query("select extra::text as extra from ledger.snapshot where snapshot_id = $1", [r.json.snapshot_id]);
    expect(rows[0].extra).toBe('{"pi": 3.14159265358979323846264338, "__proto__": {"k": 1}}');
  });

  it("SQL: a number whose written-out form would be huge is refused (22003), nothing stored", async () => {
    const before = await fingerprint();
    const doc = `{"project":"hostile","changelist":4,"x":[${Array(8000).fill("1e131000").join(",")}],"issues":[]}`;
    const e = await sqlError("select ledger.stage_report($1::jsonb)", [doc]);
    expect(e.code).toBe("22003");
    expect(e.message).toMatch(/^x: a number/);
    expect(await fingerprint()).toEqual(before);
  });
});

describe("coverage", () => {
  it("a coverage list too large to record is refused at staging, not failed in processing", async () => {
    const before = await fingerprint();
    const report = { project: "hostile", changelist: 5, build: { id: "cov", covered_paths: Array.from({ length: 3000 }, (_, i) => `p/${i}`) }, issues: [] };
    const r = await post(svc.base, JSON.stringify(report), { token: tok });
    expect(r.status).toBe(400);
    expect(r.json.field).toBe("build.covered_paths");
    const e = await sqlError("select ledger.ingest_report($1::jsonb)", [JSON.stringify(report)]);
    expect(e.code).toBe("22023");
    expect(e.message).toMatch(/^build\.covered_paths: /);
    expect(await fingerprint()).toEqual(before);
  });

  it("a long coverage list that fits is deduplicated and processed", async () => {
    const covered = Array.from({ length: 150 }, (_, i) => `srv/hostile/maps/area_${String(i).padStart(3, "0")}/sub`);
    const { rows } = await sql.query("select ledger.ingest_report($1::jsonb) as id", [JSON.stringify({
      project: "hostile", changelist: 6, build: { id: "cov2", covered_paths: [...covered, "srv/hostile/maps/area_001/sub/deeper", "srv/hostile/maps/area_001"] },
      issues: [{ ...issue, path: "srv/hostile/maps/area_007/sub/x" }] })]);
    const { rows: [s] } = await sql.query("select state, covered_paths from ledger.snapshot where snapshot_id = $1", [rows[0].id]);
    expect(s.state).toBe("done");
    expect(s.covered_paths).toHaveLength(150); // area_001/sub and .../deeper are implied by area_001
    expect(s.covered_paths).toContain("srv/hostile/maps/area_001");
    expect(s.covered_paths).not.toContain("srv/hostile/maps/area_001/sub");
    // (a list this long is looked up as a set: a path beside a prefix is still outside it)
    const e = await sqlError("select ledger.ingest_report($1::jsonb)", [JSON.stringify({
      project: "hostile", changelist: 6, build: { id: "cov3", covered_paths: covered },
      issues: [{ ...issue, path: "srv/hostile/maps/area_007/sub/x" }, { ...issue, path: "srv/hostile/maps/area_007/sub-b/x" }] })]);
    expect(e.code).toBe("22023");
    expect(e.message).toMatch(/^issues\[1\]\.path: "srv\/hostile\/maps\/area_007\/sub-b\/x" lies outside/);
  });
});

describe("SARIF", () => {
  it("a message argument a double cannot hold keeps its exact digits (not a 500)", async () => {
    const doc = {
      version: "2.1.0",
      runs: [{ tool: { driver: { name: "t" } }, results: [{
        ruleId: "R1", level: "error",
        message: { text: "overflow at {0} and {1}", arguments: ["__BIG__", "__FRAC__"] },
        locations: [{ physicalLocation: { artifactLocation: { uri: "src/a.cpp" } } }] }] }],
    };
    const body = JSON.stringify(doc).replace('"__BIG__"', "123456789012345678901234").replace('"__FRAC__"', "0.10000000000000000000001");
    const r = await post(svc.base, body, { token: tok, type: "application/sarif+json", query: "project=hostile&cl=9" });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    await sql.query("select ledger.process_snapshot($1)", [r.json.snapshot_id]);   // (the job's body, run here)
    const { rows } = await sql.query("select message from ledger.issue_instance where path like '%src/a.cpp'");
    expect(rows.map((x) => x.message)).toEqual(["overflow at 123456789012345678901234 and 0.10000000000000000000001"]);
  });
});

describe("changelists", () => {
  it("a changelist without its number is refused naming changes[i].changelist, nothing stored", async () => {
    const before = await sql.query("select count(*)::int as n from ledger_private.changelist");
    const e = await sqlError("select ledger.record_changelists($1::jsonb)",
      [JSON.stringify([{ project: "hostile", changelist: 1 }, { project: "hostile", author: "kim" }])]);
    expect(e.code).toBe("22023");
    expect(e.message).toMatch(/^changes\[1\]\.changelist: /);
    expect((await sql.query("select count(*)::int as n from ledger_private.changelist")).rows).toEqual(before.rows);
  });
});

describe("NDJSON", () => {
  it("issues in the header line are refused, not dropped", async () => {
    const before = await fingerprint();
    const body = `${JSON.stringify({ project: "hostile", changelist: 7, issues: [issue] })}\n${JSON.stringify(issue)}\n`;
    const r = await post(svc.base, body, { token: tok, type: "application/x-ndjson" });
    expect(r.status).toBe(400);
    expect(r.json.field).toBe("header.issues");
    expect(await fingerprint()).toEqual(before);
  });
});

describe("timestamps", () => {
  it("PostgreSQL's special words and an unknown time zone are refused naming submitted_at", async () => {
    const before = await fingerprint();
    for (const at of ["now", "infinity", "epoch", "2026-01-01T00:00:00 Foo/Bar", "today 12:00", "tomorrow 00:00:01",
                      "epoch+1", "2026-01-01 00:00 infinity", "Jan 8 1999", "J2451187", "2026-02-30T00:00:00Z"]) {
      const e = await sqlError("select ledger.stage_report($1::jsonb)", [JSON.stringify({ project: "hostile", changelist: 8, submitted_at: at, issues: [] })]);
      expect(e.code, at).toBe("22007");
      expect(e.message, at).toMatch(/^submitted_at: /);
    }
    expect(await fingerprint()).toEqual(before);
    // ISO-8601 in its usual shapes is read
    for (const [at, iso] of [["2026-11-01T12:00:00Z", "2026-11-01T12:00:00.000Z"], ["2026-11-01 14:30:00.5+02:30", "2026-11-01T12:00:00.500Z"],
                             ["2026-11-01t12:00:00,25z", "2026-11-01T12:00:00.250Z"], ["2026-11-01T07:00-0500", "2026-11-01T12:00:00.000Z"]]) {
      const { rows } = await sql.query("select ledger_private.parse_timestamptz('submitted_at', to_jsonb($1::text)) as t", [at]);
      expect((rows[0].t as Date).toISOString(), at).toBe(iso);
    }
  });
});

describe("other routes", () => {
  it("a repeated query parameter is a 400 naming it, not a 500", async () => {
    const auth = { authorization: `Bearer ${tok}` };
    for (const url of ["/v1/gate?project=hostile&project=x&cl=1", "/v1/gate/policy?project=hostile&project=x",
                       "/v1/triage?project=hostile&issue_id=1&stream=a&stream=b"]) {
      const r = await fetch(`${svc.base}${url}`, { headers: auth });
      expect(r.status, url).toBe(400);
      expect((await r.json()).field, url).toMatch(/^(project|stream)$/);
    }
  });

  it("NUL bytes in a JSON body are stripped there too; a lone surrogate is a 400 naming the field", async () => {
    const put = (body: string) => fetch(`${svc.base}/v1/source-roots?project=hostile`, {
      method: "PUT", body, headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" } });
    const ok = await put('{"roots":["/u1/bu\\u0000ild"]}');
    expect(ok.status).toBe(200);
    expect((await ok.json()).roots).toEqual(["/u1/build"]);
    const bad = await put('{"roots":["/u1/\\ud800"]}');
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe("body.roots[0]");
  });
});
