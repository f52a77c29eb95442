// Changing the normaliser never loses history (issue 10): a ledger built under
// normaliser v1 and migrated to v2 by the identity migration jobs answers exactly
// like a ledger built under v2 from the start — intervals, metrics, open issues at
// every CL, daily team metrics — and every old hash stays findable.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../worker/index.js";
import { databasePool } from "./helpers/db.js";
import { rng } from "./helpers/random.js";
import { waitFor } from "./helpers/service.js";

const databases = databasePool();
const freshDb = () => databases.fresh();
afterAll(() => databases.closeAll());

/** Base issues whose messages carry context that v1 keeps and v2 drops. */
const BASES = [
  { path: "srv/p/code/core/vec.h", msg: (r: () => number) => `warning C4996: 'strcpy': This function may be unsafe. (compiling source file src/${r() < 0.5 ? "a" : "b"}.cpp)` },
  { path: "srv/p/code/net/sock.cpp", msg: (r: () => number) => `[2026.11.0${1 + Math.floor(r() * 3)}-12.00.0${Math.floor(r() * 9)}:123][  ${Math.floor(r() * 9)}]LogNet: Warning: socket closed` },
  { path: "srv/p/audio/ui/click.wav", msg: (r: () => number) => `Missing cue at line ${10 + Math.floor(r() * 3)} of bank` },
  { path: "srv/p/code/core/phys.cpp", msg: (r: () => number) => `unused variable 'scratch'${r() < 0.5 ? " [-Wunused-variable]" : ""}` },
  { path: "srv/p/ui/menu/main.umap", msg: () => "Map failed to cook" },
  { path: "srv/p/audio/music/theme.wav", msg: () => "Clipping detected" },
];
function history(seed: number) {
  const r = rng(seed);
  const reports = [];
  let cl = 100;
  for (let b = 0; b < 14; b++) {
    cl += 1 + Math.floor(r() * 2);
    const covered = r() < 0.25 ? ["srv/p/code"] : undefined;
    const issues = [];
    for (const base of BASES) {
      if (covered && !base.path.startsWith("srv/p/code")) continue;
      if (r() < 0.35) continue;
      issues.push({ path: base.path, severity: "warning", message: base.msg(r) });
      if (r() < 0.3) issues.push({ path: base.path, severity: "warning", message: base.msg(r) }); // another variant, same build
    }
    reports.push({ project: "rn", changelist: cl, submitted_at: new Date(Date.UTC(2026, 9, 1) + cl * 7 * 3_600_000).toISOString(),
                   build: { id: `b${cl}`, ...(covered ? { covered_paths: covered } : {}) }, issues });
  }
  // out-of-order arrival
  return reports.map((x) => ({ x, k: r() })).sort((a, b) => a.k - b.k).map((o) => o.x);
}

async function answers(pool: pg.Pool) {
  const iv = (await pool.query(
    `select encode(ii.hash, 'hex') || ' ' || i.start_cl || ' ' || i.last_seen_cl || ' ' || coalesce(i.resolved_cl::text, '-') as r
       from ledger.issue_presence_interval i join ledger.issue_instance ii using (issue_id) where i.project = 'rn' order by 1`)).rows.map((x) => x.r);
  const metrics = (await pool.query("select cl || ' ' || total || ' ' || new || ' ' || resolved as r from ledger.changelist_metrics where project = 'rn' order by cl")).rows.map((x) => x.r);
  const open: string[] = [];
  for (const { cl } of (await pool.query("select distinct cl from ledger.snapshot where project = 'rn' order by cl")).rows) {
    const { rows } = await pool.query("select encode(hash, 'hex') || ' ' || message || ' ' || last_seen_cl as h from ledger.open_issues_at('rn', $1) order by 1", [cl]);
    open.push(`${cl}: ${rows.map((x) => x.h).join(",")}`);
  }
  const daily = (await pool.query(
    "select day || ' ' || team || ' ' || open || ' ' || new || ' ' || resolved || ' ' || regressions as r from ledger_private.team_daily where project = 'rn' order by 1")).rows.map((x) => x.r);
  const open2 = (await pool.query(
    "select encode(hash, 'hex') || ' ' || message || ' ' || last_seen_cl as h from ledger.open_issues_at('rn2', 100) order by 1")).rows.map((x) => x.h);
  return { iv, metrics, open, daily, open2 };
}

describe("identity migration v1 → v2", () => {
  for (const [seed, failOnce] of [[3, false], [8, false], [5, true]] as const) {
    it(`a migrated ledger equals one built under v2 from the start (seed ${seed}${failOnce ? ", the first chunk fails once" : ""})`, async () => {
      // (and a timeline whose issues merge with nothing: it is not rebuilt, its open
      // issues' copies must follow the re-key by themselves)
      const reports = [...history(seed), { project: "rn2", changelist: 100, issues: [
        { path: "srv/q/ui/menu/main.umap", severity: "warning", message: "Missing cue at line 12 of bank" },
        { path: "srv/q/ui/menu/main.umap", severity: "error", message: "Map failed to cook" }] }];
      const a = await freshDb();
      for (const rep of reports) await a.pool.query("select ledger.ingest_report($1)", [rep]);
      const v1hashes = (await a.pool.query("select encode(hash, 'hex') as h from ledger.issue_instance order by 1")).rows.map((x) => x.h);
      const v1count = v1hashes.length;

      const b = await freshDb();
      await b.pool.query("update ledger_private.normaliser_state set version = 2");
      for (const rep of reports) await b.pool.query("select ledger.ingest_report($1)", [rep]);
      await b.pool.query("select ledger.refresh_team_daily('rn')");
      const expected = await answers(b.pool);
      expect(Number((await b.pool.query("select count(*) as n from ledger.issue_instance")).rows[0].n)).toBeLessThan(v1count); // v2 really merges

      if (failOnce) {
        // the first chunk's first attempt fails (a sequence is not rolled back): its
        // retry comes after the other chunks, and must still come before any rebuild
        await a.pool.query(`create sequence public.fail_once;
          create function public.fail_once() returns trigger language plpgsql as $f$
          begin
            if new.chunks_done = 1 and nextval('public.fail_once') = 1 then raise exception 'injected failure'; end if;
            return new;
          end $f$;
          create trigger fail_once before update on ledger_private.renormalise_run for each row execute function public.fail_once();`);
      }
      // the migration, as jobs, with small chunks so several run
      const { rows: [run] } = await a.pool.query("select ledger_private.renormalise_start(2::smallint, 3) as id");
      const w = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {} });
      try {
        await waitFor("the identity migration to finish", async () =>
          (await a.pool.query("select finished_at from ledger_private.renormalise_run where run_id = $1", [run.id])).rows[0].finished_at !== null,
          60_000, 100);
        await waitFor("the daily refresh", async () => Number((await a.pool.query("select count(*) as n from graphile_worker.jobs")).rows[0].n) === 0, 30_000, 100);
      } finally {
        await w.stop();
      }
      await a.pool.query("select ledger_private.refresh_dirty_team_days('rn', 'main')");
      if (failOnce) expect(Number((await a.pool.query("select last_value from public.fail_once")).rows[0].last_value)).toBeGreaterThan(1);
      expect(await answers(a.pool)).toEqual(expected);
      // every old hash is findable and leads to the issue that carries its v2 identity
      const { rows: alias } = await a.pool.query("select old_hash from ledger.issue_alias");
      expect(new Set(alias.map((x) => x.old_hash))).toEqual(new Set(v1hashes));
      const { rows: versions } = await a.pool.query("select distinct normaliser_version from ledger.issue_instance");
      expect(versions).toEqual([{ normaliser_version: 2 }]);
      // and new reports keep v2 identities
      await a.pool.query("select ledger.ingest_report($1)", [{ project: "rn", changelist: 999, issues: [{ path: BASES[0].path, severity: "warning", message: BASES[0].msg(() => 0.9) }] }]);
      const { rows: [n] } = await a.pool.query("select count(*)::int as n from ledger.issue_instance");
      expect(n.n).toBe(Number((await b.pool.query("select count(*) as n from ledger.issue_instance")).rows[0].n));
    });
  }
  it("a re-key chunk that runs again (its worker died after the commit) is skipped and counted once", async () => {
    const a = await freshDb();
    for (const rep of history(4)) await a.pool.query("select ledger.ingest_report($1)", [rep]);
    const { rows: [run] } = await a.pool.query("select ledger_private.renormalise_start(2::smallint, 1000000) as id");
    const { rows: [lo] } = await a.pool.query("select min(issue_id)::int as id from ledger.issue_instance");
    const rekey = () => a.pool.query("select ledger_private.renormalise_rekey($1, $2, $3) as n", [run.id, lo.id, lo.id + 999999])
      .then((r) => r.rows[0].n);
    const first = await rekey();
    expect(first).toBeGreaterThan(0);
    const after = (await a.pool.query("select chunks_done, issues_rekeyed, issues_merged from ledger_private.renormalise_run where run_id = $1", [run.id])).rows[0];
    expect(await rekey()).toBe(0);
    expect((await a.pool.query("select chunks_done, issues_rekeyed, issues_merged from ledger_private.renormalise_run where run_id = $1", [run.id])).rows[0])
      .toEqual(after);
    expect(after.chunks_done).toBe(1);
    expect(Number(after.issues_rekeyed) + Number(after.issues_merged)).toBe(first);
  });
  it("the move to v2 waits for processing in flight, so no v1 issue is created after the issues to re-key are counted", async () => {
    const a = await freshDb();
    await a.pool.query("select ledger.ingest_report($1)", [{ project: "rn", changelist: 1, issues: [{ path: "srv/p/a", severity: "error", message: "m1" }] }]);
    const inflight = await a.pool.connect();
    const mover = await a.pool.connect();
    try {
      // processing in flight, at its first step: it holds the processing side of the
      // normaliser-version lock and has read the version (v1), nothing else yet
      await inflight.query("begin");
      await inflight.query("select pg_advisory_xact_lock_shared(hashtext('buildledger:normaliser_version')), ledger_private.normaliser_version() as v");
      let started = false;
      const move = mover.query("select ledger_private.renormalise_start(2::smallint, 3) as id").then((r) => { started = true; return r.rows[0].id; });
      await new Promise((r) => setTimeout(r, 500));
      expect(started).toBe(false);             // it waits for the processing in flight
      // which goes on, under v1, and commits
      await inflight.query("select ledger.ingest_report($1)", [{ project: "rn", changelist: 2, issues: [{ path: "srv/p/b", severity: "error", message: "m2" }] }]);
      await inflight.query("commit");
      const run = await move;
      // the issue created in flight (v1) is counted among those to re-key
      const { rows: [r] } = await a.pool.query("select chunks_total from ledger_private.renormalise_run where run_id = $1", [run]);
      const { rows: [n] } = await a.pool.query("select count(*)::int as n, max(issue_id) - min(issue_id) + 1 as span from ledger.issue_instance where normaliser_version = 1");
      expect(n.n).toBe(2);
      expect(r.chunks_total).toBe(Math.ceil(Number(n.span) / 3));
    } finally {
      inflight.release();
      mover.release();
    }
  });
  it("refuses anything but a move to v2, and a second run while one is in progress", async () => {
    const a = await freshDb();
    const e = await a.pool.query("select ledger_private.renormalise_start(3::smallint)").catch((x) => x);
    expect([e.code, e.message]).toEqual(["22023", "to: the only migration is to normaliser version 2 (got 3)"]);
    await a.pool.query("select ledger.ingest_report($1)", [{ project: "rn", changelist: 1, issues: [{ path: "a/b", severity: "error", message: "m" }] }]);
    await a.pool.query("select ledger_private.renormalise_start(2::smallint)");
    const again = await a.pool.query("select ledger_private.renormalise_start(2::smallint)").catch((x) => x);
    expect(again.message).toBe("renormalise: a run is already in progress");
  });
  it("a re-key or plan job naming no run changes nothing", async () => {
    const a = await freshDb();
    await a.pool.query("select ledger.ingest_report($1)", [{ project: "rn", changelist: 1, issues: [{ path: "a/b", severity: "error", message: "m 0x1f" }] }]);
    const before = (await a.pool.query("select issue_id, hash, normaliser_version from ledger_private.issue_instance order by 1")).rows;
    for (const sql of ["select ledger_private.renormalise_rekey(424242, 1, 1000000)", "select ledger_private.renormalise_plan_rebuilds(424242)"]) {
      const e = await a.pool.query(sql).catch((x) => x);
      expect([e.code, e.message], sql).toEqual(["22023", "run_id: no identity migration run 424242"]);
    }
    expect((await a.pool.query("select issue_id, hash, normaliser_version from ledger_private.issue_instance order by 1")).rows).toEqual(before);
  });
});
