// The synthetic studio: deterministic, and its history really has what a studio's
// farm produces, asserted with SQL over the ingested and processed data.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateStudio, studioLifecycles } from "../lib/generator.js";
import { deliverStudio, processQueued } from "../lib/studio.js";
import { ingest } from "../lib/ingest.js";
import { cloneDatabase, intervalsOffSpec } from "./helpers/db.js";

const SMALL = { seed: 7, projects: 2, builds: 70, issuesPerBuild: 120, depth: 8 };

describe("determinism", () => {
  it("the same seed gives byte-identical reports; another seed does not", () => {
    const a = generateStudio(SMALL).map((p) => JSON.stringify(p.make()));
    const b = generateStudio(SMALL).map((p) => JSON.stringify(p.make()));
    const c = generateStudio({ ...SMALL, seed: 8 }).map((p) => JSON.stringify(p.make()));
    expect(a.length).toBeGreaterThan(SMALL.builds * SMALL.projects);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
  it("scales to 10k issues per build", () => {
    const plans = generateStudio({ seed: 1, projects: 1, builds: 3, issuesPerBuild: 10000, depth: 8 });
    const full = plans.filter((p) => p.kind === "build").map((p) => p.make().issues!.length);
    expect(Math.max(...full)).toBeGreaterThan(8000);
  });
});

describe("the ingested history", () => {
  let db: Awaited<ReturnType<typeof cloneDatabase>>;
  let sql: pg.Pool;
  beforeAll(async () => {
    db = await cloneDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
    await deliverStudio(SMALL, { kind: "sql", pool: sql }, () => {});
    await processQueued(db.url, () => {});
  }, 600_000);
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });
  const one = async (q: string, params: unknown[] = []) => (await sql.query(q, params)).rows[0];

  it("every snapshot is processed and intervals are what SPEC section 3 defines", async () => {
    expect(await one("select count(*) filter (where state <> 'done')::int as n from ledger.snapshot")).toEqual({ n: 0 });
    for (const { project } of (await sql.query("select project from ledger.timeline")).rows) {
      expect(await intervalsOffSpec(sql, project)).toBe(0);
    }
  });
  it("flaky_issues puts the generated flaky issues on top; long-lived and recurring ones do not score as flaky", async () => {
    const truth = new Map<string, string[]>();
    for (const t of studioLifecycles(SMALL)) truth.set(`${t.project}|${t.path}`, [...(truth.get(`${t.project}|${t.path}`) ?? []), t.lifecycle]);
    const only = (project: string, path: string) => { const l = truth.get(`${project}|${path}`) ?? []; return l.length === 1 ? l[0] : "ambiguous"; };
    for (const p of ["atlas", "borealis"]) {
      const { rows } = await sql.query("select path, score, flips from ledger.flaky_issues($1, 'main', null, 1000, 3)", [p]);
      const flakySpecs = studioLifecycles(SMALL).filter((t) => t.project === p && t.lifecycle === "flaky").length;
      const top = rows.slice(0, flakySpecs).map((r) => only(p, r.path));
      expect(top.filter((l) => l === "flaky").length, `${p}: ${top.join(", ")}`).toBe(flakySpecs);
      const flakyMin = Math.min(...rows.filter((r) => only(p, r.path) === "flaky").map((r) => Number(r.score)));
      for (const r of rows) {
        const l = only(p, r.path);
        if (l === "long-lived" || l === "recurring") expect(Number(r.score), `${p} ${l} ${r.path}`).toBeLessThan(flakyMin);
      }
    }
  });
  it("has recurring issues and flaky ones (three or more intervals)", async () => {
    for (const p of ["atlas", "borealis"]) {
      expect((await one("select count(*)::int as n from ledger.recurring_issues($1)", [p])).n).toBeGreaterThan(3);
    }
    const flaky = await one(`select count(*)::int as n from (select issue_id from ledger.issue_presence_interval
                               group by project, issue_id having count(*) >= 3) x`);
    expect(flaky.n).toBeGreaterThan(2);
  });
  it("has partial builds, sharded builds, failed builds and rebuilds", async () => {
    expect((await one(`select count(*)::int as n from ledger.snapshot
                        where build_status = 'partial' and cardinality(covered_paths) > 0`)).n).toBeGreaterThan(0);
    expect((await one(`select count(*)::int as n from (select project, cl from ledger.snapshot where covered_paths is not null
                        and build_status = 'complete' group by 1, 2 having count(*) >= 2) x`)).n).toBeGreaterThan(0);
    expect((await one(`select count(*)::int as n from ledger.snapshot where covered_paths = '{}'`)).n).toBeGreaterThan(0);
    expect((await one(`select count(*)::int as n from (select project, cl from ledger.snapshot where covered_paths is null
                        group by 1, 2 having count(*) >= 2) x`)).n).toBeGreaterThan(0);
  });
  it("has builds that arrived out of CL order, and gaps between built CLs", async () => {
    expect((await one(`select count(*)::int as n from ledger.snapshot a join ledger.snapshot b
                         on a.project = b.project and a.cl < b.cl and a.received_seq > b.received_seq`)).n).toBeGreaterThan(0);
    expect((await one(`select count(*)::int as n from (select cl - lag(cl) over (partition by project order by cl) as gap
                         from ledger.changelist) x where gap > 1`)).n).toBeGreaterThan(0);
  });
  it("noise is normalised away: one issue keeps its identity across builds whose raw messages differ", async () => {
    const r = await one(`select count(*)::int as n from ledger.issue_instance i
                          where i.message ~ '(<n>|<ts>|<dur>|0x<hex>|<guid>)'
                            and (select count(*) from ledger.issue_observation o where o.issue_id = i.issue_id) >= 5`);
    expect(r.n).toBeGreaterThan(20);
  });
  it("paths are 4 to 8 segments deep, with realistic names and team ownership skew", async () => {
    const d = await one(`select min(array_length(string_to_array(path, '/'), 1)) as lo,
                                max(array_length(string_to_array(path, '/'), 1)) as hi from ledger.issue_instance`);
    expect(d).toEqual({ lo: 4, hi: 8 });
    const teams = (await sql.query(`select split_part(path, '/', 3) as team, count(*)::int as n from ledger.issue_instance
                                     group by 1 order by 2 desc`)).rows;
    expect(teams.length).toBeGreaterThanOrEqual(6);
    expect(teams[0].n).toBeGreaterThan(3 * teams[teams.length - 1].n);
    expect((await one(`select count(*)::int as n from ledger.changelist where author is null or submitted_at is null`)).n).toBe(0);
  });
});

describe("report files", () => {
  it("writes every format, and the files ingest through the same converters", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bl-gen-"));
    const db = await cloneDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 2 }).on("error", () => {});
    try {
      const opts = { seed: 3, projects: 1, builds: 3, issuesPerBuild: 30, depth: 6 };
      for (const format of ["json", "ndjson", "sarif", "log"] as const) {
        await deliverStudio(opts, { kind: "files", dir: path.join(dir, format), format }, () => {});
      }
      const expected = generateStudio(opts)[0].make();
      for (const format of ["json", "ndjson", "sarif", "log"] as const) {
        const files = (await readdir(path.join(dir, format))).filter((f) => !f.endsWith(".meta.json")).sort();
        expect(files.length).toBe(generateStudio(opts).length);
        const meta = format === "sarif" || format === "log"
          ? JSON.parse(await readFile(path.join(dir, format, files[0].replace(/\.\w+$/, ".meta.json")), "utf8")) : {};
        const r = await ingest(pool, Readable.from([await readFile(path.join(dir, format, files[0]))]), {
          format, maxBytes: 1e9,
          meta: { project: meta.project, stream: `${format}`, changelist: meta.changelist ? String(meta.changelist) : undefined,
                  path_prefix: format === "log" ? `${meta.project === "atlas" ? "eu-build-01" : "x"}/atlas` : undefined },
        });
        expect(r.issues).toBe(expected.issues!.length);
      }
    } finally {
      await pool.end();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
