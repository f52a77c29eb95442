// The storage and write path (issue 11): writes follow the changes (a head CL that
// changes nothing rewrites no interval), staging never waits for the processing of its
// timeline (in SQL and over HTTP), and the lock order holds: two timelines creating
// overlapping new paths, issue paths and covered paths at once, never deadlock.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase, intervalsOffSpec } from "./helpers/db.js";
import { graphql, post, startService, token, type Service } from "./helpers/service.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
const clients: pg.Client[] = [];
const services: Service[] = [];
async function connect() {
  const c = new pg.Client({ connectionString: db.url });
  c.on("error", () => {});
  await c.connect();
  clients.push(c);
  return c;
}
beforeAll(async () => { db = await cloneDatabase(); });
afterAll(async () => {
  for (const s of services) await s.close().catch(() => {});
  for (const c of clients) await c.end().catch(() => {});
  await db.drop();
});

const issues = (project: string, n: number, skip: (i: number) => boolean = () => false) =>
  Array.from({ length: n }, (_, i) => i).filter((i) => !skip(i))
    .map((i) => ({ path: `srv/${project}/team${i % 4}/asset${i}.uasset`, severity: "warning", message: `Broken ref ${i}` }));

/** The nodes of a root's tree whose parent or ancestors are not those of the stored node
 *  of their parent path (path, what is stored, what it should be), whose parent path has
 *  no node, or that are a root with a parent. */
async function closureOffParent(c: pg.Client, root: string) {
  const { rows } = await c.query(
    `select n.path, n.parent_id, n.ancestors::text as ancestors, p.path_node_id as want_parent,
            (p.ancestors || p.path_node_id)::text as want_ancestors
       from ledger_private.path_node n
       left join ledger_private.path_node p
              on n.depth > 1 and p.path = left(n.path, length(n.path) - strpos(reverse(n.path), '/'))
      where (n.path = $1 or n.path like $1 || '/%')
        and case when n.depth = 1 then n.parent_id is not null or n.ancestors <> '{}'
                 else p.path_node_id is null or n.parent_id is distinct from p.path_node_id
                      or n.ancestors is distinct from p.ancestors || p.path_node_id end`, [root]);
  return rows;
}

/** Settles with "done" or, if it is still pending after ms, "pending". */
async function settlesWithin<T>(p: Promise<T>, ms: number): Promise<"done" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => "done" as const),
    new Promise<"pending">((res) => { timer = setTimeout(() => res("pending"), ms); })]);
  clearTimeout(timer);
  return r;
}

describe("writes follow the changes", () => {
  it("a head CL that reports the same open issues rewrites no interval row; one that drops some rewrites only those", async () => {
    const c = await connect();
    for (let cl = 1; cl <= 3; cl++) {
      await c.query("select ledger.ingest_report($1)", [{ project: "still", changelist: cl, build: { id: `b${cl}` }, issues: issues("still", 300) }]);
    }
    const tuples = async () => (await c.query(
      `select issue_id, start_cl, ctid::text as ctid from ledger_private.presence_interval
        where timeline_id = ledger_private.timeline_id('still', 'main') order by 1, 2`)).rows;
    const before = await tuples();
    expect(before.length).toBe(300);
    await c.query("select ledger.ingest_report($1)", [{ project: "still", changelist: 4, build: { id: "b4" }, issues: issues("still", 300) }]);
    expect(await tuples()).toEqual(before);              // same physical rows: nothing written
    // the view still says they were last seen at CL 4
    const { rows: [v] } = await c.query(
      `select min(last_seen_cl)::int as lo, max(last_seen_cl)::int as hi, count(*) filter (where resolved_cl is null)::int as open
         from ledger.issue_presence_interval where project = 'still'`);
    expect(v).toEqual({ lo: 4, hi: 4, open: 300 });

    // CL 5 drops 10 issues: exactly those 10 rows change
    await c.query("select ledger.ingest_report($1)", [{ project: "still", changelist: 5, build: { id: "b5" }, issues: issues("still", 300, (i) => i % 30 === 0) }]);
    const after = await tuples();
    const changed = after.filter((t, k) => t.ctid !== before[k].ctid);
    expect(changed.length).toBe(10);
    const { rows: closed } = await c.query(
      `select last_seen_cl::int as last, resolved_cl::int as res, count(*)::int as n from ledger.issue_presence_interval
        where project = 'still' and resolved_cl is not null group by 1, 2`);
    expect(closed).toEqual([{ last: 4, res: 5, n: 10 }]);
    expect(await intervalsOffSpec(c, "still")).toBe(0);
    // staged input is one row per snapshot and gone once processed
    const { rows: [si] } = await c.query(
      "select count(*)::int as n from ledger_private.snapshot_input where timeline_id = ledger_private.timeline_id('still', 'main')");
    expect(si.n).toBe(0);
  });
});

describe("the treemap reads counts kept by processing", () => {
  it("open issues per node (depth-8 ancestor for deeper paths) follow head, middle and staged builds, and a rebuild", async () => {
    const c = await connect();
    const deep = (i: number) => `srv/tm/team${i % 2}/a/b/c/d/e${i % 3}/f/g${i}.uasset`;   // 10 segments
    const flat = (i: number) => `srv/tm/team${i % 2}/flat${i}.uasset`;
    const report = (cl: number, keep: (i: number) => boolean) => ({
      project: "tm", changelist: cl, build: { id: `b${cl}` },
      issues: Array.from({ length: 40 }, (_, i) => i).filter(keep).flatMap((i) => [
        { path: deep(i), severity: "error", message: `deep ${i}` }, { path: flat(i), severity: "warning", message: `flat ${i}` }]),
    });
    const view = async () => Object.fromEntries((await c.query(
      `select array_to_string(array[level1, level2, level3, level4, level5, level6, level7, level8], '/') as node,
              issue_count::int as n from ledger.v_treemap_cl_levels8_latest where project = 'tm'`)).rows.map((r) => [r.node, r.n]));
    const direct = async () => Object.fromEntries((await c.query(
      `select array_to_string((string_to_array(ii.path, '/'))[1:8], '/') as node, count(*)::int as n
         from ledger.issue_presence_interval i join ledger.issue_instance ii using (issue_id)
        where i.project = 'tm' and i.resolved_cl is null group by 1`)).rows.map((r) => [r.node, r.n]));
    await c.query("select ledger.ingest_report($1)", [report(10, () => true)]);
    await c.query("select ledger.ingest_report($1)", [report(20, (i) => i % 4 !== 0)]);
    await c.query("select ledger.ingest_report($1)", [report(30, (i) => i % 5 !== 0)]);
    const { rows: [st] } = await c.query("select ledger.stage_report($1) as id", [report(25, (i) => i % 3 !== 0)]);
    await c.query("select ledger.process_snapshot($1)", [st.id]);            // a middle build, staged
    const expected = await direct();
    expect(Object.keys(expected).length).toBeGreaterThan(4);
    expect(expected["srv/tm/team0/a/b/c/d/e0"]).toBeGreaterThan(1);          // deeper paths fold into depth 8
    expect(await view()).toEqual(expected);
    // each open issue carries its treemap node (the depth-8 ancestor of a deeper path);
    // a row written without it (the previous release's processing, between a migration
    // and the functions) gets it from the trigger
    const nodes = async () => (await c.query(
      `select o.issue_id::int as id, n.path as node, t.path as want
         from ledger_private.open_issue o
         join ledger_private.path_node n on n.path_node_id = o.node_id
         join ledger_private.issue_instance ii on ii.issue_id = o.issue_id
        cross join lateral ledger_private.treemap_node(ii.path_node_id) t
        where o.timeline_id = ledger_private.timeline_id('tm', 'main') order by 1`)).rows;
    const kept0 = await nodes();
    expect(kept0.length).toBe(Object.values(expected).reduce((a: number, b) => a + Number(b), 0));
    expect(kept0.filter((r) => r.node !== r.want)).toEqual([]);
    expect(kept0.some((r) => r.node === "srv/tm/team0/a/b/c/d/e0")).toBe(true);   // (depth 8 of a 10-segment path)
    await c.query(
      `with d as (delete from ledger_private.open_issue o
                   where o.timeline_id = ledger_private.timeline_id('tm', 'main') returning o.*)
       insert into ledger_private.open_issue (timeline_id, issue_id, start_cl, hash, severity, category, message, path)
       select d.timeline_id, d.issue_id, d.start_cl, d.hash, d.severity, d.category, d.message, d.path from d`);
    expect(await nodes()).toEqual(kept0);
    // rollup at the latest CL counts open runs from the same per-node counts (depth and
    // subtree within 8 levels), elsewhere from the runs: both agree with the runs
    const rollupDirect = async (cl: number, depth: number, under: string | null) => Object.fromEntries((await c.query(
      `select (string_to_array(ii.path, '/'))[1:$2] as k,
              count(*) filter (where i.start_cl <= $1 and (i.resolved_cl is null or i.resolved_cl > $1))::int as o,
              count(*) filter (where i.start_cl = $1)::int as nw, count(*) filter (where i.resolved_cl = $1)::int as r
         from ledger.issue_presence_interval i join ledger.issue_instance ii using (issue_id)
        where i.project = 'tm' and cardinality(string_to_array(ii.path, '/')) >= $2
          and ((i.start_cl <= $1 and (i.resolved_cl is null or i.resolved_cl > $1)) or i.resolved_cl = $1)
          and ($3::text is null or ii.path = $3 or ii.path like $3 || '/%')
        group by 1`, [cl, depth, under])).rows.map((r) => [r.k.join("/"), [r.o, r.nw, r.r]]));
    const rollup = async (cl: number, depth: number, under: string | null) => Object.fromEntries((await c.query(
      "select path, open_count::int as o, new_count::int as nw, resolved_count::int as r from ledger.rollup('tm', $1, $2, 'main', $3)",
      [cl, depth, under])).rows.map((r) => [r.path, [r.o, r.nw, r.r]]));
    for (const cl of [30, 25, 20, 31]) {
      for (const depth of [1, 3, 7, 8, 9, 10]) {
        for (const under of [null, "srv/tm/team0", "srv/tm/team1/a/b/c/d/e2", "srv/tm/team0/a/b/c/d/e0/f"]) {
          const want = await rollupDirect(cl, depth, under);
          expect(await rollup(cl, depth, under), `rollup(${cl}, ${depth}, ${under})`).toEqual(want);
        }
      }
    }
    expect(Object.keys(await rollupDirect(30, 8, "srv/tm/team0")).length).toBeGreaterThan(1);
    // new runs per CL and team: a rebuild recomputes what processing kept
    const teamNew = async () => (await c.query(
      `select cl::int, team, new_count::int from ledger_private.cl_team_new
        where timeline_id = ledger_private.timeline_id('tm', 'main') order by 1, 2`)).rows;
    const kept = await teamNew();
    expect(kept.length).toBeGreaterThan(3);
    await c.query("select ledger_private.rebuild_timeline('tm', 'main')");
    expect(await view()).toEqual(expected);
    expect(await teamNew()).toEqual(kept);
    // a head build that resolves everything leaves no node behind
    await c.query("select ledger.ingest_report($1)", [report(40, () => false)]);
    expect(await view()).toEqual({});
    const { rows: [left] } = await c.query(
      "select count(*)::int as n from ledger_private.open_node_count where timeline_id = ledger_private.timeline_id('tm', 'main')");
    expect(left.n).toBe(0);
  });
});

describe("nothing waits on what it does not need", () => {
  it("staging into a timeline whose processing is in progress does not wait for it; a second processing does", async () => {
    const [a, b] = [await connect(), await connect()];
    const { rows: [s1] } = await a.query("select ledger.stage_report($1) as id",
      [{ project: "busy", changelist: 10, build: { id: "b10" }, issues: issues("busy", 2000) }]);
    await a.query("begin");
    await a.query("select ledger.process_snapshot($1)", [s1.id]);   // holds the timeline's processing lock
    try {
      await b.query("set statement_timeout = '20s'");
      // a later CL, another build at the same CL and a brand-new CL: none waits
      const later = b.query("select ledger.stage_report($1) as id", [{ project: "busy", changelist: 11, build: { id: "b11" }, issues: issues("busy", 50) }]);
      expect(await settlesWithin(later, 15_000)).toBe("done");
      const sameCl = b.query("select ledger.stage_report($1) as id", [{ project: "busy", changelist: 10, build: { id: "shard-2" }, issues: [] }]);
      expect(await settlesWithin(sameCl, 15_000)).toBe("done");
      // while processing the staged CL 11 has to wait: one timeline is serial
      await b.query("set statement_timeout = '500ms'");
      const { rows: [s2] } = await b.query("select snapshot_id as id from ledger.snapshot where project = 'busy' and cl = 11");
      await expect(b.query("select ledger.process_snapshot($1)", [s2.id])).rejects.toThrow(/statement timeout/);
    } finally {
      await a.query("commit");
    }
    await b.query("set statement_timeout = 0");
    for (const { id } of (await b.query("select snapshot_id as id from ledger.snapshot where project = 'busy' and state <> 'done' order by cl, received_seq")).rows) {
      await b.query("select ledger.process_snapshot($1)", [id]);
    }
    expect(await intervalsOffSpec(b, "busy")).toBe(0);
  });

  it("an HTTP upload for a timeline that is busy processing is accepted without waiting for it", async () => {
    const a = await connect();
    const svc = await startService(db.url);
    services.push(svc);
    const tok = await token(db.url, "http-busy");
    const first = await post(svc.base, JSON.stringify({ project: "http-busy", changelist: 1, build: { id: "b1" }, issues: issues("http-busy", 3000) }), { token: tok });
    expect(first.status).toBe(202);
    await a.query("begin");
    await a.query("select ledger.process_snapshot($1)", [first.json.snapshot_id]);
    try {
      const json = post(svc.base, JSON.stringify({ project: "http-busy", changelist: 2, build: { id: "b2" }, issues: issues("http-busy", 100) }), { token: tok });
      expect(await settlesWithin(json, 15_000)).toBe("done");
      expect((await json).status).toBe(202);
      const nd = [JSON.stringify({ project: "http-busy", changelist: 3, build: { id: "b3" } }),
                  ...issues("http-busy", 100).map((i) => JSON.stringify(i))].join("\n") + "\n";
      const ndjson = post(svc.base, nd, { token: tok, type: "application/x-ndjson" });
      expect(await settlesWithin(ndjson, 15_000)).toBe("done");
      expect((await ndjson).status).toBe(202);
    } finally {
      await a.query("commit");
    }
  });

  it("two timelines creating overlapping new paths (issue paths and covered paths crossed) never deadlock, 40 rounds", async () => {
    const [a, b] = [await connect(), await connect()];
    for (let round = 0; round < 40; round++) {
      // a's issues create the paths b covers and the other way round: the old two-pass
      // path insert (issue paths, then covered paths) deadlocked on exactly this
      const pa = Array.from({ length: 30 }, (_, i) => `shared${round}/x/p${i}`);
      const pb = Array.from({ length: 30 }, (_, i) => `shared${round}/y/p${i}`);
      const rep = (project: string, mine: string[], theirs: string[]) => ({
        project, changelist: round + 1, build: { id: `r${round}`, covered_paths: [...mine, ...theirs] },
        issues: mine.map((p, i) => ({ path: `${p}/a.uasset`, severity: "error", message: `m${i}` })),
      });
      const results = await Promise.allSettled([
        a.query("select ledger.ingest_report($1)", [rep("dl-a", pa, pb)]),
        b.query("select ledger.ingest_report($1)", [rep("dl-b", pb, pa)]),
      ]);
      const errors = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
      expect(errors, `round ${round}`).toEqual([]);
    }
    const { rows } = await a.query(
      "select project, count(*)::int as n from ledger.issue_presence_interval where project in ('dl-a', 'dl-b') group by 1 order by 1");
    expect(rows).toEqual([{ project: "dl-a", n: 40 * 30 }, { project: "dl-b", n: 40 * 30 }]); // every round's issues stay open
    expect(await intervalsOffSpec(a, "dl-a")).toBe(0);
    for (let round = 0; round < 40; round++) expect(await closureOffParent(a, `shared${round}`)).toEqual([]);
  });

  it("a path another session creates while this one waits: the nodes below it name the stored node as parent and ancestor", async () => {
    const [a, b] = [await connect(), await connect()];
    await a.query("begin");
    await a.query("select ledger_private.ensure_paths(array['race/a/b/c/one.uasset'])");
    // b needs race, race/a and race/a/b too: its one sorted insert waits on a's race
    await b.query("begin");
    const waiting = b.query("select ledger_private.ensure_paths(array['race/a/b/d/two.uasset', 'race/z'])");
    expect(await settlesWithin(waiting, 1_000)).toBe("pending");
    await a.query("commit");
    await waiting;
    await b.query("commit");
    expect(await closureOffParent(a, "race")).toEqual([]);
    const { rows } = await a.query("select path from ledger_private.path_node where path like 'race%' order by path");
    expect(rows.map((r) => r.path)).toEqual(["race", "race/a", "race/a/b", "race/a/b/c", "race/a/b/c/one.uasset",
      "race/a/b/d", "race/a/b/d/two.uasset", "race/z"]);
  });
});

describe("processing's memory", () => {
  it("a session's temp buffers are raised for its work tables before their first use, to the operator's sizes, never lowered; one that used temp tables already still ingests", async () => {
    const settings = async (c: pg.Client) => (await c.query(
      "select current_setting('temp_buffers') as tb, current_setting('work_mem') as wm")).rows[0];
    const rep = (project: string) => ({ project, changelist: 1, build: { id: "b1" }, issues: issues(project, 20) });
    const fresh = await connect();
    await fresh.query("set temp_buffers = '8MB'; set work_mem = '4MB'");   // (the stock sizes, whatever the server's)
    await fresh.query("select ledger.ingest_report($1)", [rep("mem-a")]);
    expect(await settings(fresh)).toEqual({ tb: "32MB", wm: "4MB" });   // work_mem only for the report's transaction
    await fresh.query("begin");
    await fresh.query("select ledger.ingest_report($1)", [rep("mem-b")]);
    expect((await settings(fresh)).wm).toBe("64MB");
    await fresh.query("commit");
    // a session that used a temp table first keeps its size, and its reports still go in
    const used = await connect();
    await used.query("set temp_buffers = '8MB'");
    await used.query("create temp table t_first (x int)");
    await used.query("insert into t_first values (1)");
    await used.query("select ledger.ingest_report($1)", [rep("mem-c")]);
    await used.query("select ledger.ingest_report($1)", [{ ...rep("mem-c"), changelist: 2 }]);
    expect((await settings(used)).tb).toBe("8MB");
    // a larger configured size stays
    const big = await connect();
    await big.query("set temp_buffers = '256MB'");
    await big.query("set work_mem = '100MB'");
    await big.query("select ledger.ingest_report($1)", [rep("mem-d")]);
    expect(await settings(big)).toEqual({ tb: "256MB", wm: "100MB" });
    // the operator's sizes: another size, or 0 to leave PostgreSQL's setting alone
    const ops = await connect();
    await ops.query("set temp_buffers = '8MB'; set work_mem = '4MB'; set buildledger.temp_buffers = '48MB'; set buildledger.work_mem = '0'");
    await ops.query("begin");
    await ops.query("select ledger.ingest_report($1)", [rep("mem-e")]);
    expect(await settings(ops)).toEqual({ tb: "48MB", wm: "4MB" });
    await ops.query("commit");
    const { rows } = await big.query(
      "select project, count(*)::int as n from ledger.issue_presence_interval where project like 'mem-%' group by 1 order by 1");
    expect(rows).toEqual(["mem-a", "mem-b", "mem-c", "mem-d", "mem-e"].map((project) => ({ project, n: 20 })));
  });
});

describe("the raw identity cache read by probes or by one scan", () => {
  it("gives the same ledger, cache stamps included, over days of head, late and re-posted builds", async () => {
    // the same random history on two copies of the database, one reading the cache by a
    // probe per row, the other by one scan of it (step 1 of processing picks by size)
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const steps: { day: string; report: unknown }[] = [];
    for (let k = 0; k < 14; k++) {
      const cl = k < 10 ? k + 1 : 1 + Math.floor(rand() * 9);                  // late builds at the end
      const xs = Array.from({ length: 60 }, (_, i) => i).filter(() => rand() < 0.7);
      steps.push({
        day: `2026-03-${String(1 + 4 * Math.floor(k / 2)).padStart(2, "0")}`,  // 4 days every 2 builds
        report: { project: "cacheway", changelist: cl, build: { id: `b${cl}-${k % 3}` },
                  issues: xs.map((i) => ({ path: `srv/cacheway/t${i % 3}/a${i}.uasset`, severity: "warning",
                                           message: `Missing ${i % 40} (took 2 ms)` })) },
      });
    }
    const dump = async (mode: "probe" | "scan") => {
      const copy = await cloneDatabase();
      const c = new pg.Client({ connectionString: copy.url });
      await c.connect();
      try {
        await c.query("select set_config('buildledger.cache_read', $1, false)", [mode]);
        for (const s of steps) {
          await c.query("select set_config('buildledger.cache_today', $1, false)", [s.day]);
          await c.query("select ledger.ingest_report($1)", [s.report]);
        }
        const q = async (sql: string) => (await c.query(sql)).rows;
        return {
          runs: await q("select issue_id, start_cl, last_seen_cl, resolved_cl from ledger_private.presence_interval order by 1, 2"),
          issues: await q("select issue_id, encode(hash, 'hex') as hash, message from ledger_private.issue_instance order by 1"),
          cache: await q("select encode(raw_key, 'hex') as k, issue_id, used_day from ledger_private.raw_identity order by 1"),
          open: await q("select issue_id, start_cl, message from ledger_private.open_issue order by 1"),
          stats: await q("select * from ledger_private.issue_run_stats order by issue_id"),
        };
      } finally {
        await c.end();
        await copy.drop();
      }
    };
    const probe = await dump("probe");
    const scan = await dump("scan");
    expect(probe.runs.length).toBeGreaterThan(40);
    expect(new Set(probe.cache.map((r) => r.used_day)).size).toBeGreaterThan(1);   // stamps of several days
    expect(scan).toEqual(probe);
  });
});

describe("observations are one row per snapshot", () => {
  it("each build's issues are one sorted row; the view, one issue's observations and GraphQL give them back exactly", async () => {
    const c = await connect();
    const P = "obs";
    const rep = (cl: number, build: string, xs: number[], covered?: string[]) => ({
      project: P, changelist: cl, build: { id: build }, ...(covered ? { covered_paths: covered } : {}),
      issues: xs.map((i) => ({ path: `srv/${P}/team${i % 4}/asset${i}.uasset`, severity: "warning", message: `Broken ref ${i}`, count: 1 + (i * cl) % 5 })),
    });
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
    const sent: ReturnType<typeof rep>[] = [
      rep(1, "b1", range(0, 60)),
      rep(2, "b2", range(10, 70)),
      rep(3, "b3", range(0, 80).filter((i) => i % 4 === 1), [`srv/${P}/team1`]),   // a partial build
      rep(2, "b2-rerun", range(5, 65)),                                              // a second build at CL 2
      rep(4, "b4", []),                                                               // a build with no issues
    ];
    for (const r of sent) await c.query("select ledger.ingest_report($1)", [r]);
    // expected: per build, path -> occurrences (each asset path is one issue)
    const { rows: snaps } = await c.query(
      `select s.snapshot_id::text as id, s.build_id as build from ledger.snapshot s where s.project = $1`, [P]);
    expect(snaps.length).toBe(sent.length);
    const expected = new Map<string, Map<string, number>>();
    for (const r of sent) {
      const id = snaps.find((s) => s.build === r.build.id)!.id;
      expected.set(id, new Map(r.issues.map((i) => [i.path, i.count])));
    }
    // storage: one row per snapshot, ids strictly ascending, arrays of equal length
    const { rows: stored } = await c.query(
      `select o.snapshot_id::text as id, o.issue_ids::text[] as ids, cardinality(o.occurrences) as n
         from ledger_private.issue_observation o where o.timeline_id = ledger_private.timeline_id($1, 'main')`, [P]);
    expect(stored.map((r) => r.id).sort()).toEqual([...expected.keys()].sort());
    for (const r of stored) {
      const ids = (r.ids as string[]).map(BigInt);
      expect(ids.every((x, k) => k === 0 || x > ids[k - 1])).toBe(true);
      expect(r.n).toBe(ids.length);
    }
    // the view, one row per (snapshot, issue)
    const { rows: viewRows } = await c.query(
      `select o.snapshot_id::text as id, i.path, o.occurrences from ledger.issue_observation o
         join ledger.issue_instance i using (issue_id) where o.project = $1`, [P]);
    const got = new Map<string, Map<string, number>>([...expected.keys()].map((k) => [k, new Map()]));
    for (const r of viewRows) got.get(r.id)!.set(r.path, r.occurrences);
    expect(got).toEqual(expected);
    // one issue's observations = the view's rows of that issue, for every issue
    const { rows: mismatched } = await c.query(
      `select i.issue_id from ledger.issue_instance i
        where i.path like 'srv/obs/%'
          and array(select row(o.snapshot_id, o.occurrences, o.cl, o.project)::text from ledger.issue_instance_observations(i) o)
              is distinct from
              array(select row(o.snapshot_id, o.occurrences, o.cl, o.project)::text from ledger.issue_observation o
                     where o.issue_id = i.issue_id order by o.snapshot_id)`);
    expect(mismatched).toEqual([]);
    // over GraphQL, as IssueInstance.observations
    const svc = await startService(db.url);
    services.push(svc);
    const { rows: [one] } = await c.query(
      `select issue_id::text as id from ledger.issue_instance where path = 'srv/obs/team1/asset13.uasset'`);
    const r = await graphql(svc.base, `query($id: BigInt!) { issueInstanceByIssueId(issueId: $id) {
        observations { nodes { snapshotId occurrences cl project } } } }`, { id: one.id });
    expect(r.body.errors).toBeUndefined();
    const { rows: want } = await c.query(
      `select snapshot_id::text as "snapshotId", occurrences, cl::text as cl, project from ledger.issue_observation
        where issue_id = $1 order by snapshot_id`, [one.id]);
    expect(want.length).toBe(4);   // b1, b2, b3 (it is under team1) and the rerun at CL 2
    expect(r.body.data.issueInstanceByIssueId.observations.nodes).toEqual(want);
  });
});

describe("the raw identity cache", () => {
  it("a new text of an issue the cache knows joins it: one issue, its rows and occurrences added up", async () => {
    const c = await connect();
    const P = "cache-merge";
    const i = (message: string, count?: number) => ({ path: `srv/${P}/a/x.uasset`, severity: "error", message, ...(count ? { count } : {}) });
    await c.query("select ledger.ingest_report($1)", [{ project: P, changelist: 1, issues: [i("Missing thing (took 3.5s)", 2)] }]);
    // CL 2: the cached text, two new texts of the same issue, and a new issue
    await c.query("select ledger.ingest_report($1)", [{ project: P, changelist: 2, issues: [
      i("Missing thing (took 3.5s)", 2), i("Missing thing (took 9.1s)", 3), i("Missing  thing (took 12 ms)"),
      { path: `srv/${P}/a/y.uasset`, severity: "warning", message: "Other thing" }] }]);
    const { rows: snaps } = await c.query(
      `select cl::int, issue_count::int, occurrence_count::int from ledger.snapshot where project = $1 order by cl`, [P]);
    expect(snaps).toEqual([{ cl: 1, issue_count: 1, occurrence_count: 2 }, { cl: 2, issue_count: 2, occurrence_count: 7 }]);
    const { rows: obs } = await c.query(
      `select o.cl::int, i.path, o.occurrences from ledger.issue_observation o join ledger.issue_instance i using (issue_id)
        where o.project = $1 order by 1, 2`, [P]);
    expect(obs).toEqual([
      { cl: 1, path: `srv/${P}/a/x.uasset`, occurrences: 2 },
      { cl: 2, path: `srv/${P}/a/x.uasset`, occurrences: 6 },
      { cl: 2, path: `srv/${P}/a/y.uasset`, occurrences: 1 }]);
    // every raw text is cached now, each naming its issue
    const { rows: [k] } = await c.query(
      `select count(*)::int as n, count(distinct r.issue_id)::int as issues from ledger_private.raw_identity r
        join ledger_private.issue_instance i on i.issue_id = r.issue_id where i.path like $1`, [`srv/${P}/%`]);
    expect(k).toEqual({ n: 4, issues: 2 });
    // CL 3, every text cached: the same answer
    await c.query("select ledger.ingest_report($1)", [{ project: P, changelist: 3, issues: [
      i("Missing thing (took 3.5s)", 2), i("Missing thing (took 9.1s)", 3), i("Missing  thing (took 12 ms)"),
      { path: `srv/${P}/a/y.uasset`, severity: "warning", message: "Other thing" }] }]);
    const { rows: [s3] } = await c.query(
      `select issue_count::int, occurrence_count::int from ledger.snapshot where project = $1 and cl = 3`, [P]);
    expect(s3).toEqual({ issue_count: 2, occurrence_count: 7 });
    expect(await intervalsOffSpec(c, P)).toBe(0);
  });
});

describe("lock order between processing and a re-post", () => {
  it("a re-post of a build whose processing is finishing waits for it instead of deadlocking with it", async () => {
    const setup = await connect();
    // (processing pauses right after removing its input row, holding that row's lock,
    // in the session that asks for it)
    await setup.query(`
      create function public.bltest_slow_input_delete() returns trigger language plpgsql as $$
      begin
        if current_setting('bltest.slow_input_delete', true) = 'on' then perform pg_sleep(1.5); end if;
        return old;
      end $$`);
    await setup.query(`create trigger bltest_slow after delete on ledger_private.snapshot_input
                       for each row execute function public.bltest_slow_input_delete()`);
    try {
      const rep = (n: number) => ({ project: "lockorder", changelist: 1, build: { id: "b1" }, issues: issues("lockorder", n) });
      const { rows: [s] } = await setup.query("select ledger.stage_report($1) as id", [rep(20)]);
      const proc = await connect();
      await proc.query("set bltest.slow_input_delete = on");
      const processing = proc.query("select ledger.process_snapshot($1)", [s.id]);
      await new Promise((r) => setTimeout(r, 500));   // (processing is in its last statements)
      const repost = await connect();
      const staged = repost.query("select ledger.stage_report($1) as id", [rep(25)]);
      const [p, r] = await Promise.allSettled([processing, staged]);
      expect(p.status).toBe("fulfilled");
      expect(r.status).toBe("fulfilled");
      expect(r.status === "fulfilled" && r.value.rows[0].id).toBe(s.id);
      // the re-post is queued with its own input; the first version was processed
      const { rows: [snap] } = await setup.query(
        `select s.state, s.content_version, s.processed_version, si.content_version as input_version, cardinality(si.paths) as n
           from ledger_private.snapshot s join ledger_private.snapshot_input si using (timeline_id, snapshot_id)
          where s.snapshot_id = $1`, [s.id]);
      expect(snap).toEqual({ state: "queued", content_version: 2, processed_version: 1, input_version: 2, n: 25 });
    } finally {
      await setup.query("drop trigger bltest_slow on ledger_private.snapshot_input");
      await setup.query("drop function public.bltest_slow_input_delete()");
    }
  });
});
