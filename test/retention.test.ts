// Bounded storage (issue 11): retention removes old observations while intervals,
// metrics and every point-in-time answer stay exact; later builds (in order and late
// ones after the horizon) keep agreeing with a ledger that never dropped anything;
// reports before the horizon are refused; observation partitions are made ahead and
// catch what the default partition held; the raw identity cache is pruned.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";
import { rng } from "./helpers/random.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let c: pg.Client;
beforeAll(async () => {
  db = await cloneDatabase();
  c = new pg.Client({ connectionString: db.url });
  await c.connect();
});
afterAll(async () => {
  await c.end();
  await db.drop();
});

function history(seed: number, cls: number[]) {
  const rand = rng(seed);
  return cls.map((cl) => ({
    changelist: cl,
    build: { id: `b${cl}`, ...(rand() < 0.2 ? { covered_paths: ["srv/p/a"] } : {}) },
    issues: Array.from({ length: 40 }, (_, i) => i).filter(() => rand() < 0.7)
      .map((i) => ({ path: `srv/p/${i % 2 ? "a" : "b"}/asset${i}`, severity: "error", message: `problem ${i}` }))
  }));
}
const covered = (r: ReturnType<typeof history>[number]) =>
  ({ ...r, issues: r.issues.filter((i) => !r.build.covered_paths || i.path.startsWith("srv/p/a/")) });

async function answers(project: string, cls: number[]) {
  const iv = (await c.query(
    `select ii.hash, i.start_cl, i.last_seen_cl, i.resolved_cl from ledger.issue_presence_interval i
       join ledger.issue_instance ii using (issue_id) where i.project = $1 order by 1, 2`, [project])).rows;
  const m = (await c.query("select cl, total, new, resolved from ledger.changelist_metrics where project = $1 order by cl", [project])).rows;
  const open = [];
  for (const cl of cls) {
    open.push((await c.query("select count(*)::int as n, string_agg(encode(hash, 'hex'), ',' order by hash) as h from ledger.open_issues_at($1, $2)", [project, cl])).rows[0]);
  }
  const d = (await c.query("select status, count(*)::int from ledger.diff($1, $2, $3) group by 1 order by 1", [project, cls[0], cls[cls.length - 1]])).rows;
  return { iv, m, open, d };
}

describe("retention", () => {
  it("removes old observations; intervals, metrics, open_issues_at and diff stay exact, before and after more builds", async () => {
    const cls = Array.from({ length: 30 }, (_, i) => 100 + 2 * i);
    const h = history(7, cls).map(covered);
    for (const project of ["kept", "trimmed"]) {
      for (const r of h) await c.query("select ledger.ingest_report($1)", [{ project, ...r }]);
    }
    // the first 20 CLs' builds were received 10 days ago
    await c.query(`update ledger_private.snapshot s set received_at = now() - interval '10 days'
                    where s.timeline_id = ledger_private.timeline_id('trimmed', 'main') and s.cl < 140`);
    const before = await answers("trimmed", cls);
    expect(before).toEqual(await answers("kept", cls));
    await expect(c.query("select ledger.set_retention('nope', 3)")).rejects.toThrow(/^project: unknown project/);
    await expect(c.query("select ledger.set_retention('trimmed', 0)")).rejects.toThrow(/^keep_days:/);
    await c.query("select ledger.set_retention('trimmed', 3)");

    const obs = async (p: string) => (await c.query("select count(*)::int as n from ledger.issue_observation where project = $1", [p])).rows[0].n;
    const n0 = await obs("trimmed");
    const { rows: [m] } = await c.query("select ledger_private.storage_maintenance() as r");
    expect(m.r.observations_removed).toBeGreaterThan(0);
    expect(await obs("trimmed")).toBe(n0 - m.r.observations_removed);
    const { rows: [hz] } = await c.query(
      "select retained_from_cl::int as h from ledger_private.timeline_progress where timeline_id = ledger_private.timeline_id('trimmed', 'main')");
    expect(hz.h).toBe(140);
    const { rows: [left] } = await c.query("select min(cl)::int as lo from ledger.issue_observation where project = 'trimmed'");
    expect(left.lo).toBe(140);
    expect(await answers("trimmed", cls)).toEqual(before);   // nothing the API answers changed
    // a second pass removes nothing more
    const { rows: [m2] } = await c.query("select ledger_private.apply_retention('trimmed') as n");
    expect(Number(m2.n)).toBe(0);

    // more builds: new CLs, late builds in gaps after the horizon and in one before it
    // (CL 101 was never built: nothing of it is missing), a re-post of CL 150
    const more = [...history(8, Array.from({ length: 10 }, (_, i) => 160 + 2 * i)),
                  ...history(9, [101, 145, 151]), { ...history(10, [150])[0], build: { id: "b150" } }].map(covered);
    for (const project of ["kept", "trimmed"]) {
      for (const r of more) await c.query("select ledger.ingest_report($1)", [{ project, ...r }]);
    }
    const all = [...cls, 101, 145, 151, ...Array.from({ length: 10 }, (_, i) => 160 + 2 * i)].sort((x, y) => x - y);
    expect(await answers("trimmed", all)).toEqual(await answers("kept", all));

    // a built CL before the horizon: refused, naming the field; nothing stored
    const snaps = (await c.query("select count(*)::int as n from ledger.snapshot where project = 'trimmed'")).rows[0].n;
    await expect(c.query("select ledger.ingest_report($1)", [{ project: "trimmed", ...history(11, [138])[0] }]))
      .rejects.toMatchObject({ code: "22023", message: expect.stringMatching(/^changelist: CL 138 lies before the retention horizon/) });
    expect((await c.query("select count(*)::int as n from ledger.snapshot where project = 'trimmed'")).rows[0].n).toBe(snaps);
    await expect(c.query("select ledger_private.rebuild_timeline('trimmed')")).rejects.toMatchObject({ code: "22023" });
    await expect(c.query("select ledger_private.backfill_start('trimmed', 'main', 100, 200)")).rejects.toMatchObject({ code: "22023" });
  });
});

describe("storage upkeep", () => {
  it("observations of a new block of snapshot ids get their own partition; rows the default partition caught move there", async () => {
    // (maintenance keeps the next block ready; ids that jump past it land in the default partition)
    await c.query("select setval('ledger_private.snapshot_id_seq', 200000)");
    await c.query("select ledger.ingest_report($1)", [{ project: "parts", changelist: 1, issues: [{ path: "srv/x/a", severity: "error", message: "m" }] }]);
    const where = async () => (await c.query(
      "select tableoid::regclass::text as t from ledger_private.issue_observation where timeline_id = ledger_private.timeline_id('parts', 'main')")).rows.map((r) => r.t);
    expect(await where()).toEqual(["ledger_private.issue_observation_default"]);
    const { rows: [r] } = await c.query("select ledger_private.ensure_observation_partitions() as n");
    expect(r.n).toBe(2);                                   // block 3 (with the moved row) and block 4 ahead
    expect(await where()).toEqual(["ledger_private.issue_observation_p3"]);
    const { rows: [again] } = await c.query("select ledger_private.ensure_observation_partitions() as n");
    expect(again.n).toBe(0);
  });

  it("the raw identity cache drops entries unused for a week, and identities stay the same after", async () => {
    const rep = { project: "cache", changelist: 1, issues: [{ path: "srv/c/a", severity: "error", message: "Missing thing (took 3.5s)" }] };
    await c.query("select ledger.ingest_report($1)", [rep]);
    const n = async () => (await c.query("select count(*)::int as n from ledger_private.raw_identity")).rows[0].n;
    expect(await n()).toBeGreaterThan(0);
    await c.query("update ledger_private.raw_identity set used_day = used_day - 30");
    const { rows: [p] } = await c.query("select ledger_private.prune_raw_identity() as n");
    expect(Number(p.n)).toBeGreaterThan(0);
    expect(await n()).toBe(0);
    await c.query("select ledger.ingest_report($1)", [{ ...rep, changelist: 2 }]);
    const { rows } = await c.query("select count(*)::int as n from ledger.issue_presence_interval where project = 'cache'");
    expect(rows[0].n).toBe(1);                             // same identity: one open interval
  });

  it("a cached text still reported is stamped again once its stamp is 3 days old, and pruned a week after its last stamp", async () => {
    const rep = (cl: number) => ({ project: "stamps", changelist: cl, issues: [{ path: "srv/s/a", severity: "error", message: "Stamped thing (took 1.5s)" }] });
    const on = (day: string) => c.query("select set_config('buildledger.cache_today', $1, false)", [day]);
    const stamp = async () => (await c.query(
      `select r.used_day - (date '2026-03-01' - date '2000-01-01') as d
         from ledger_private.raw_identity r
         join ledger_private.issue_instance i on i.issue_id = r.issue_id
        where i.path = 'srv/s/a'`)).rows.map((r) => r.d);
    const prune = async () => Number((await c.query("select ledger_private.prune_raw_identity() as n")).rows[0].n);
    try {
      await on("2026-03-01");
      await c.query("select ledger.ingest_report($1)", [rep(1)]);
      expect(await stamp()).toEqual([0]);
      await on("2026-03-03");                              // 2 days: the stamp stands
      await c.query("select ledger.ingest_report($1)", [rep(2)]);
      expect(await stamp()).toEqual([0]);
      await on("2026-03-04");                              // 3 days old: stamped again
      await c.query("select ledger.ingest_report($1)", [rep(3)]);
      expect(await stamp()).toEqual([3]);
      await on("2026-03-11");                              // 7 days after the stamp: kept
      await prune();
      expect(await stamp()).toEqual([3]);
      await on("2026-03-12");                              // 8 days: pruned
      await prune();
      expect(await stamp()).toEqual([]);
      await c.query("select ledger.ingest_report($1)", [rep(4)]);
      const { rows } = await c.query(
        "select count(*)::int as n, count(*) filter (where resolved_cl is null)::int as open from ledger.issue_presence_interval where project = 'stamps'");
      expect(rows[0]).toEqual({ n: 1, open: 1 });           // the same identity after the prune
      expect(await stamp()).toEqual([11]);
    } finally {
      await c.query("reset buildledger.cache_today");
    }
  });
});
