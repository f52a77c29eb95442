// The quality gate and flaky issues (issue 13): ledger.gate and ledger.flaky_issues
// against a reference computed here from the raw snapshots (random histories with
// partial builds, rebuilds and out-of-order arrival), policy thresholds and flaky
// handling, the CLI's exit codes (including "not ready") and bad input over HTTP.
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/migrate.js";
import { cloneDatabase } from "./helpers/db.js";
import { rng } from "./helpers/random.js";
import { startService, token, type Service } from "./helpers/service.js";
import { covers, issueKey, referenceIntervals, type RefIssue, type RefSnapshot } from "./reference-model.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let sql: pg.Pool;
beforeAll(async () => {
  db = await cloneDatabase();
  sql = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

const FOLDERS = ["srv/p/audio", "srv/p/ui", "srv/p/code/core"];
const severityOf = (key: string) => (key.length % 3 === 0 ? "warning" : key.length % 3 === 1 ? "error" : "info");

/** A random history: CLs with gaps, full/partial/empty coverage, rebuilds, shuffled arrival. */
function history(seed: number, fullOnly = false) {
  const r = rng(seed);
  const pool: RefIssue[] = [];
  for (let i = 0; i < 9; i++) pool.push({ path: `${FOLDERS[i % 3]}/asset${i}`, message: `problem ${"x".repeat(i % 4)}${i}` });
  const snaps: RefSnapshot[] = [];
  let cl = 100;
  for (let b = 0; b < 12; b++) {
    cl += 1 + Math.floor(r() * 3);
    const builds = r() < 0.2 ? 2 : 1;
    for (let k = 0; k < builds; k++) {
      const x = r();
      const covered = x < 0.6 || fullOnly ? null : x < 0.95 ? FOLDERS.filter(() => r() < 0.5) : [];
      const issues = pool.filter((i) => covers(covered, i.path) && r() < 0.45);
      snaps.push({ cl, buildId: `b${cl}-${k}`, covered, issues, seq: 0 });
    }
  }
  // arrival order: shuffled (rebuilds of one CL keep their order)
  const order = snaps.map((s, i) => ({ s, key: r() + (s.buildId.endsWith("-1") ? 0.5 : 0) }));
  order.sort((a, b) => a.key - b.key);
  order.forEach((o, i) => (o.s.seq = i + 1));
  return order.map((o) => o.s);
}

/** CL times: about three CLs a day, starting 2026-10-01 (so days hold several CLs). */
const clTime = (cl: number) => new Date(Date.UTC(2026, 9, 1) + (cl - 100) * 8 * 3_600_000);

function reportOf(project: string, s: RefSnapshot) {
  return {
    project, changelist: s.cl, submitted_at: clTime(s.cl).toISOString(),
    build: { id: s.buildId, ...(s.covered ? { covered_paths: s.covered } : {}) },
    issues: s.issues.map((i) => ({ ...i, severity: severityOf(issueKey(i)) })),
  };
}

/** Reference presence per issue: its covering CLs in order, present or not. */
function presence(snaps: RefSnapshot[], upTo: number) {
  const keys = new Map<string, RefIssue>();
  for (const s of snaps) for (const i of s.issues) keys.set(issueKey(i), i);
  const cls = [...new Set(snaps.filter((s) => s.cl <= upTo).map((s) => s.cl))].sort((a, b) => a - b);
  const out = new Map<string, { cl: number; present: boolean }[]>();
  for (const [key, issue] of keys) {
    const seq = [];
    for (const cl of cls) {
      const covering = snaps.filter((s) => s.cl === cl && covers(s.covered, issue.path));
      if (!covering.length) continue;
      const latest = covering.reduce((a, b) => (b.seq > a.seq ? b : a));
      seq.push({ cl, present: latest.issues.some((i) => issueKey(i) === key) });
    }
    out.set(key, seq);
  }
  return { cls, out };
}

describe("gate against a reference over random histories with partial builds", () => {
  it("new errors and warnings, regressions, and pass/fail at every CL equal the reference", async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const project = `g${seed}`;
      const snaps = history(seed);
      for (const s of [...snaps].sort((a, b) => a.seq - b.seq)) {
        await sql.query("select ledger.ingest_report($1)", [reportOf(project, s)]);
      }
      // flaky issues never interfere here (their treatment is tested below)
      await sql.query("select ledger.set_gate_policy($1, $2)", [project, { fail_on_new_warnings: true, flaky_min_flips: 1000 }]);
      const ivs = referenceIntervals(snaps);
      for (const c of [...new Set(snaps.map((s) => s.cl))]) {
        const { rows: [{ g }] } = await sql.query("select ledger.gate($1, $2) as g", [project, c]);
        const expected = ivs.filter((i) => i.start === c && severityOf(i.key) !== "info")
          .map((i) => `${i.key}|${severityOf(i.key)}|${ivs.some((j) => j.key === i.key && j.start < c) ? "regression" : "new"}`).sort();
        const got = (g.issues as { path: string; message: string; severity: string; kind: string; blocking: boolean }[])
          .filter((i) => i.blocking).map((i) => `${i.path}|${i.message}|${i.severity}|${i.kind}`).sort();
        expect(got, `seed ${seed} CL ${c}`).toEqual(expected);
        expect(g.status, `seed ${seed} CL ${c}`).toBe(expected.length ? "fail" : "pass");
      }
    }
  });

  it("flaky_issues: flips, covering and present builds within the window equal the reference", async () => {
    // seeds 1-8: partial and empty builds in most windows (presence laid out per build);
    // 9-14: full builds only (flips and presence from the runs alone)
    for (let seed = 1; seed <= 14; seed++) {
      const project = `g${seed}`;
      const snaps = history(seed, seed > 8);
      if (seed > 8) for (const s of snaps) await sql.query("select ledger.ingest_report($1)", [reportOf(project, s)]);
      const lastCl = Math.max(...snaps.map((s) => s.cl));
      for (const [at, w] of [[lastCl, 5], [lastCl, 20], [snaps[Math.floor(snaps.length / 2)].cl, 4]] as const) {
        const { cls, out } = presence(snaps, at);
        const win = new Set(cls.slice(-w));
        const expected: string[] = [];
        for (const [key, seq] of out) {
          const pts = seq.filter((p) => win.has(p.cl));
          let flips = 0;
          for (let i = 1; i < pts.length; i++) if (pts[i].present !== pts[i - 1].present) flips++;
          if (flips >= 1) expected.push(`${key}|${flips}|${pts.length}|${pts.filter((p) => p.present).length}`);
        }
        const { rows } = await sql.query(
          "select path, message, flips, covering_builds, present_builds from ledger.flaky_issues($1, 'main', $2, $3, 1)", [project, at, w]);
        expect(rows.map((r) => `${r.path}|${r.message}|${r.flips}|${r.covering_builds}|${r.present_builds}`).sort(), `seed ${seed} at ${at} w ${w}`)
          .toEqual(expected.sort());
      }
    }
  });
});

describe("daily team metrics", () => {
  /** From scratch, in TypeScript, from the reference intervals (SPEC section 3). */
  function referenceDaily(snaps: RefSnapshot[]) {
    const ivs = referenceIntervals(snaps);
    const dayOf = (cl: number) => clTime(cl).toISOString().slice(0, 10);
    const cls = [...new Set(snaps.map((s) => s.cl))];
    const days = new Map<string, number[]>();
    for (const c of cls) days.set(dayOf(c), [...(days.get(dayOf(c)) ?? []), c]);
    const teamOf = (key: string) => key.split("|")[0].split("/")[2];
    const rows: string[] = [];
    for (const [day, dcls] of days) {
      const last = Math.max(...dcls);
      const teams = new Set(ivs.map((i) => teamOf(i.key)));
      for (const team of teams) {
        const mine = ivs.filter((i) => teamOf(i.key) === team);
        const open = mine.filter((i) => i.start <= last && (i.resolved === null || i.resolved > last)).length;
        const started = mine.filter((i) => dcls.includes(i.start));
        const ended = mine.filter((i) => i.resolved !== null && dcls.includes(i.resolved));
        const regressions = started.filter((i) => mine.some((j) => j.key === i.key && j.start < i.start)).length;
        if (!open && !started.length && !ended.length) continue;
        const durs = ended.map((i) => i.resolved! - i.start).sort((a, b) => a - b);
        const hours = ended.map((i) => (clTime(i.resolved!).getTime() - clTime(i.start).getTime()) / 3_600_000).sort((a, b) => a - b);
        rows.push(`${day}|${team}|${last}|${open}|${started.length}|${ended.length}|${regressions}|${durs.join(",")}|${hours.join(",")}`);
      }
    }
    return rows.sort();
  }
  const stored = async (project: string) => (await sql.query(
    `select to_char(day, 'YYYY-MM-DD') || '|' || team || '|' || last_cl || '|' || open || '|' || new || '|' || resolved || '|' || regressions
            || '|' || array_to_string(resolve_cls, ',') || '|' || array_to_string(resolve_hours, ',') as r
       from ledger_private.team_daily where project = $1 order by 1`, [project])).rows.map((r) => r.r as string).sort();

  it("kept up by processing in any arrival order, equal to a from-scratch computation and to a forced refresh", async () => {
    for (let seed = 21; seed <= 26; seed++) {
      const project = `d${seed}`;
      const snaps = history(seed);
      for (const s of [...snaps].sort((a, b) => a.seq - b.seq)) {
        await sql.query("select ledger.ingest_report($1)", [reportOf(project, s)]);
      }
      // the refresh job's body (a worker runs it a couple of seconds after processing)
      await sql.query("select ledger_private.refresh_dirty_team_days($1, 'main')", [project]);
      const incremental = await stored(project);
      expect(incremental, `seed ${seed}`).toEqual(referenceDaily(snaps));
      await sql.query("update ledger_private.team_daily set open = open + 100 where project = $1", [project]); // corrupt, then rebuild
      const { rows: [r] } = await sql.query("select ledger.refresh_team_daily($1) as n", [project]);
      expect(r.n).toBe(incremental.length);
      expect(await stored(project), `seed ${seed} after a forced refresh`).toEqual(incremental);
    }
  });

  it("a late build that removes an issue's earlier run marks the day of its later start, whose regression goes", async () => {
    // X at CL 100 (day 1), gone at 103 (day 2), back at 106 (day 3): a regression on day 3.
    // A second build of CL 100 without X removes the earlier run: day 3's start is new
    // then, though no interval of day 3 changed (the change is at CLs 100-103)
    const project = "dlate";
    const X = { path: "srv/p/audio/x.wav", message: "X broke", severity: "error" };
    const Y = { path: "srv/p/audio/y.wav", message: "Y broke", severity: "error" };
    const post = (cl: number, build: string, issues: typeof X[]) => sql.query("select ledger.ingest_report($1)", [
      { project, changelist: cl, submitted_at: clTime(cl).toISOString(), build: { id: build }, issues }]);
    await post(100, "a", [X, Y]);
    await post(103, "b", [Y]);
    await post(106, "c", [X, Y]);
    await sql.query("select ledger_private.refresh_dirty_team_days($1, 'main')", [project]);
    const regressions = async () => (await sql.query(
      `select to_char(day, 'YYYY-MM-DD') as d, regressions from ledger_private.team_daily
        where project = $1 and team = 'audio' order by day`, [project])).rows.map((r) => `${r.d}:${r.regressions}`);
    const day3 = clTime(106).toISOString().slice(0, 10);
    expect(await regressions()).toContain(`${day3}:1`);
    await post(100, "a2", [Y]);
    await sql.query("select ledger_private.refresh_dirty_team_days($1, 'main')", [project]);
    expect(await regressions()).toContain(`${day3}:0`);
    const kept = await stored(project);
    await sql.query("select ledger.refresh_team_daily($1)", [project]);
    expect(await stored(project)).toEqual(kept);
  });

  it("windows answer from the daily table: sums over the window, exact medians, bad windows refused", async () => {
    const { rows } = await sql.query("select * from ledger.team_trends('d21', 'main', 3)");
    expect(rows.length).toBeGreaterThan(0);
    const { rows: days } = await sql.query(
      `select team, sum(new)::int as new, sum(resolved)::int as resolved from ledger_private.team_daily
        where project = 'd21' and day > (select max(day) from ledger_private.team_daily where project = 'd21') - 3 group by team`);
    for (const d of days) {
      const w = rows.find((r) => r.team === d.team);
      expect([Number(w.new), Number(w.resolved)], d.team).toEqual([d.new, d.resolved]);
    }
    const e = await sql.query("select * from ledger.team_trends('d21', 'main', 0)").catch((x) => x);
    expect([e.code, e.message]).toEqual(["22023", "window_days: expected 1 to 366, got 0"]);
  });
});

describe("policy", () => {
  const P = "pol";
  const rep = (cl: number, issues: [string, string, string][], covered?: string[]) => ({
    project: P, changelist: cl, build: { id: `b${cl}`, ...(covered ? { covered_paths: covered } : {}) },
    issues: issues.map(([p, severity, message]) => ({ path: `srv/pol/${p}`, severity, message })) });

  beforeAll(async () => {
    const flip = (cl: number) => (cl % 2 === 0 ? [["audio/flaky.wav", "error", "sometimes"]] as [string, string, string][] : []);
    for (let cl = 1; cl <= 10; cl++) {
      await sql.query("select ledger.ingest_report($1)", [rep(cl, [["ui/a", "warning", "old warning"], ...flip(cl)])]);
    }
    await sql.query("select ledger.ingest_report($1)", [rep(11, [["ui/a", "warning", "old warning"], ["ui/b", "warning", "new warning"]])]);
    await sql.query("select ledger.ingest_report($1)", [rep(12, [["ui/a", "warning", "old warning"], ["audio/flaky.wav", "error", "sometimes"]])]);
  });

  it("defaults: new warnings pass, a new flaky error is listed but does not block", async () => {
    const g11 = (await sql.query("select ledger.gate($1, 11) as g", [P])).rows[0].g;
    expect(g11.status).toBe("pass");
    expect(g11.counts.new_warnings).toBe(1);
    const g12 = (await sql.query("select ledger.gate($1, 12) as g", [P])).rows[0].g;
    expect(g12.status).toBe("pass");
    expect(g12.issues).toMatchObject([{ path: "srv/pol/audio/flaky.wav", flaky: true, blocking: false, kind: "regression" }]);
  });

  it("flaky_blocks and fail_on_new_warnings change the verdict; thresholds fail on open counts", async () => {
    await sql.query("select ledger.set_gate_policy($1, $2)", [P, { flaky_blocks: true }]);
    expect((await sql.query("select ledger.gate($1, 12) as g", [P])).rows[0].g.status).toBe("fail");
    await sql.query("select ledger.set_gate_policy($1, $2)", [P, { flaky_blocks: false, fail_on_new_warnings: true }]);
    const g11 = (await sql.query("select ledger.gate($1, 11) as g", [P])).rows[0].g;
    expect(g11.status).toBe("fail");
    expect(g11.reasons).toEqual(["1 new warning(s) at CL 11"]);
    await sql.query("select ledger.set_gate_policy($1, $2)", [P, { fail_on_new_warnings: false,
      thresholds: [{ path_prefix: "srv/pol/ui", severity: "warning", max_open: 1 }] }]);
    const t = (await sql.query("select ledger.gate($1, 11) as g", [P])).rows[0].g;
    expect(t.status).toBe("fail");
    expect(t.threshold_breaches).toEqual([{ path_prefix: "srv/pol/ui", severity: "warning", max_open: 1, open: 2 }]);
    await sql.query("select ledger.set_gate_policy($1, $2)", [P, { thresholds: [{ path_prefix: "srv/pol/ui", max_open: 2 }] }]);
    expect((await sql.query("select ledger.gate($1, 11) as g", [P])).rows[0].g.status).toBe("pass");
  });

  it("malformed policies are refused with 22023 naming the field, and nothing changes", async () => {
    const before = (await sql.query("select ledger.gate_policy($1) as p", [P])).rows[0].p;
    const bad: [unknown, RegExp][] = [
      [{ nope: true }, /^policy\.nope: unknown setting/],
      [{ fail_on_new_errors: "yes" }, /^policy\.fail_on_new_errors: expected true or false/],
      [{ flaky_window: 1 }, /^policy\.flaky_window:/],
      [{ flaky_min_score: 0 }, /^policy\.flaky_min_score:/],
      [{ thresholds: [{ path_prefix: "a", max_open: -1 }] }, /^policy\.thresholds\[0\]\.max_open:/],
      [{ thresholds: [{ path_prefix: "", max_open: 1 }] }, /^policy\.thresholds\[0\]\.path_prefix:/],
      [{ fail_on_new_warnings: true, thresholds: [{ path_prefix: "a", severity: "fatal", max_open: 1 }] }, /^policy\.thresholds\[0\]\.severity:/],
    ];
    for (const [policy, msg] of bad) {
      const e = await sql.query("select ledger.set_gate_policy($1, $2)", [P, policy]).catch((x) => x);
      expect(e.code, JSON.stringify(policy)).toBe("22023");
      expect(e.message).toMatch(msg);
    }
    const e = await sql.query("select ledger.set_gate_policy('no-such', '{}')").catch((x) => x);
    expect([e.code, e.message]).toEqual(["22023", 'project: unknown project "no-such"']);
    expect((await sql.query("select ledger.gate_policy($1) as p", [P])).rows[0].p).toEqual(before);
  });
});

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), ...args], { env: { ...process.env, DATABASE_URL: db.url, ...env } });
    let stdout = "", stderr = "";
    p.stdout.on("data", (c) => (stdout += c));
    p.stderr.on("data", (c) => (stderr += c));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("buildledger gate (CLI) and GET /v1/gate", () => {
  let svc: Service;
  let tok: string;
  beforeAll(async () => {
    await sql.query("select ledger.ingest_report($1)", [{ project: "ci", changelist: 1, issues: [{ path: "srv/ci/a", severity: "warning", message: "w" }] }]);
    await sql.query("select ledger.ingest_report($1)", [{ project: "ci", changelist: 2, issues: [{ path: "srv/ci/a", severity: "error", message: "boom" }] }]);
    svc = await startService(db.url);
    tok = await token(db.url, "ci", "gate");
  });
  afterAll(async () => { await svc.close(); });

  it("exit codes: 0 pass, 1 fail, 2 not ready after --wait, 2 for bad input", async () => {
    expect((await cli(["gate", "--project", "ci", "--cl", "1"])).code).toBe(0);
    const fail = await cli(["gate", "--project", "ci", "--cl", "2"]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/^gate ci\/main CL 2: FAIL\n  - 1 new error\(s\) at CL 2/);
    await sql.query("select ledger.stage_report($1)", [{ project: "ci", changelist: 3, issues: [] }]);
    const waiting = await cli(["gate", "--project", "ci", "--cl", "3", "--wait", "1"]);
    expect(waiting.code).toBe(2);
    expect(waiting.stdout).toMatch(/NOT READY/);
    expect((await cli(["gate", "--project", "ci", "--cl", "0"])).code).toBe(2);
    const unknown = await cli(["gate", "--project", "nope", "--cl", "1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/project: unknown project "nope"/);
    const json = await cli(["gate", "--project", "ci", "--cl", "2", "--json", "--url", svc.base, "--token", tok]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "fail", counts: { new_errors: 1 } });
  });

  it("HTTP: the project's token, 4xx naming the field for bad input, policy over PUT", async () => {
    const get = (q: string, t: string | null = tok) => fetch(`${svc.base}/v1/gate?${q}`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
    const ok = await get("project=ci&cl=2");
    expect(ok.status).toBe(200);
    expect((await ok.json()).status).toBe("fail");
    expect((await get("project=ci&cl=2", null)).status).toBe(401);
    const other = await token(db.url, "pol", "other");
    expect((await get("project=ci&cl=2", other)).status).toBe(403);
    for (const [q, field] of [["cl=2", "project"], ["project=ci&cl=0", "cl"], ["project=ci&cl=abc", "cl"], ["project=ci", "cl"]]) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect((await r.json()).field, q).toBe(field);
    }
    const put = (body: unknown) => fetch(`${svc.base}/v1/gate/policy?project=ci`, {
      method: "PUT", headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await put({ thresholds: [{ path_prefix: "srv/ci", max_open: "many" }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe("policy.thresholds[0].max_open");
    const good = await put({ fail_on_new_errors: false });
    expect(good.status).toBe(200);
    expect((await good.json()).fail_on_new_errors).toBe(false);
    expect((await (await get("project=ci&cl=2")).json()).status).toBe("pass");
  });
});
