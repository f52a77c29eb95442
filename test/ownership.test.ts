// Who broke it and who owns it (issue 12, first part): changelists as data (also
// never-built ones, with the files they touched), suspects of an interval start
// compared with a straightforward reference under out-of-order arrival and partial
// coverage, ranking by touched files, ownership precedence, CODEOWNERS, bad input.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";
import { rng } from "./helpers/random.js";
import { startService, token, type Service } from "./helpers/service.js";
import { covers, referenceIntervals, type RefIssue, type RefSnapshot } from "./reference-model.js";

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

const FOLDERS = ["srv/p/audio/ui", "srv/p/code/core", "srv/p/code/net"];

describe("suspects", () => {
  it("equal a straightforward reference, with ranks from touched files, under out-of-order and partial builds", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const project = `s${seed}`;
      const r = rng(seed);
      const pool: RefIssue[] = [];
      for (let i = 0; i < 8; i++) pool.push({ path: `${FOLDERS[i % 3]}/f${i}.cpp`, message: `problem ${i}` });
      const snaps: RefSnapshot[] = [];
      const changes: { project: string; changelist: number; author: string; files: string[] }[] = [];
      let cl = 100;
      for (let b = 0; b < 14; b++) {
        cl += 1;
        // some CLs are never built; every CL is in the VCS feed with the files it touched
        const files = [];
        if (r() < 0.5) files.push(pool[Math.floor(r() * pool.length)].path);
        if (r() < 0.3) files.push(`${FOLDERS[Math.floor(r() * 3)]}/other${cl}.h`);
        if (r() < 0.2) files.push(`srv/p/docs/readme${cl}.md`);
        changes.push({ project, changelist: cl, author: `dev${cl % 5}`, files });
        if (r() < 0.3) continue;
        const x = r();
        const covered = x < 0.6 ? null : FOLDERS.filter(() => r() < 0.5);
        snaps.push({ cl, buildId: `b${cl}`, covered, issues: pool.filter((i) => covers(covered, i.path) && r() < 0.5), seq: 0 });
      }
      const order = snaps.map((s) => ({ s, k: r() })).sort((a, b) => a.k - b.k);
      order.forEach((o, i) => (o.s.seq = i + 1));
      await sql.query("insert into ledger.project (project) values ($1)", [project]);
      await sql.query("select ledger.record_changelists($1)", [JSON.stringify(changes)]);
      for (const { s } of order) {
        await sql.query("select ledger.ingest_report($1)", [{ project, changelist: s.cl,
          build: { id: s.buildId, ...(s.covered ? { covered_paths: s.covered } : {}) },
          issues: s.issues.map((i) => ({ ...i, severity: "error" })) }]);
      }
      const known = changes.map((c) => c.changelist);
      const filesOf = new Map(changes.map((c) => [c.changelist, c.files]));
      for (const iv of referenceIntervals(snaps)) {
        const [path, message] = iv.key.split("|");
        const prev = Math.max(-Infinity, ...snaps.filter((s) => s.cl < iv.start && covers(s.covered, path)).map((s) => s.cl));
        const folder = path.slice(0, path.lastIndexOf("/"));
        const expected = known.filter((c) => c <= iv.start && c > prev).map((c) => {
          const f = filesOf.get(c)!;
          const rank = f.some((x) => x === path || x.startsWith(path + "/")) ? 2 : f.some((x) => x.startsWith(folder + "/")) ? 1 : 0;
          return `${c}:${rank}`;
        }).sort();
        const { rows: [ii] } = await sql.query("select issue_id from ledger.issue_instance where path = $1 and message = $2", [path, message]);
        const { rows } = await sql.query("select cl, rank, author from ledger.suspects($1, $2, $3)", [project, ii.issue_id, iv.start]);
        expect(rows.map((x) => `${x.cl}:${x.rank}`).sort(), `seed ${seed} ${iv.key} from ${iv.start}`).toEqual(expected);
        expect(rows.every((x) => x.author === `dev${Number(x.cl) % 5}`)).toBe(true);
        // ranked: touched files first
        expect(rows.map((x) => x.rank)).toEqual([...rows.map((x) => x.rank)].sort((a, b) => b - a));
      }
    }
  });

  it("changelist batches are validated whole and idempotent", async () => {
    await sql.query("insert into ledger.project (project) values ('feed')");
    const batch = [{ project: "feed", changelist: 7, author: "a", files: ["x/y.cpp"] }, { project: "feed", changelist: 8, description: "d" }];
    expect((await sql.query("select ledger.record_changelists($1) as n", [JSON.stringify(batch)])).rows[0].n).toBe(2);
    expect((await sql.query("select ledger.record_changelists($1) as n", [JSON.stringify(batch)])).rows[0].n).toBe(2);
    const { rows } = await sql.query("select cl, author, description from ledger.changelist where project = 'feed' order by cl");
    expect(rows).toEqual([{ cl: "7", author: "a", description: null }, { cl: "8", author: null, description: "d" }]);
    for (const [bad, msg] of [
      [[{ project: "feed", changelist: 0 }], /^changes\[0\]\.changelist:/],
      [[{ project: "feed", changelist: 9 }, { project: "nope", changelist: 1 }], /^changes\[1\]\.project: unknown project/],
      [[{ project: "feed", changelist: 9, files: [""] }], /^changes\[0\]\.files:/],
      [[{ project: "feed", changelist: 9, submitted_at: "soon" }], /^changes\[0\]\.submitted_at:/],
    ] as const) {
      const e = await sql.query("select ledger.record_changelists($1)", [JSON.stringify(bad)]).catch((x) => x);
      expect(e.code, JSON.stringify(bad)).toMatch(/^22/);
      expect(e.message).toMatch(msg);
    }
    expect((await sql.query("select count(*)::int as n from ledger.changelist where project = 'feed' and cl = 9")).rows[0].n).toBe(0);
  });
});

describe("ownership", () => {
  beforeAll(async () => {
    await sql.query("insert into ledger.project (project) values ('own') on conflict do nothing");
  });
  const owner = async (path: string) => (await sql.query("select team, people, pattern from ledger.owner_of('own', $1)", [path])).rows[0];

  it("the most specific rule wins; a path with no rule is owned by its team segment", async () => {
    await sql.query("select ledger.set_owner_rules('own', $1)", [JSON.stringify([
      { pattern: "srv/own/audio", team: "audio" },
      { pattern: "srv/own/audio/ui", team: "ui-audio", people: ["kim"] },
      { pattern: "srv/own/**/*.wav", team: "sound-design" },
      { pattern: "srv/own/audio/ui/**/*.wav", team: "ui-sound", people: ["lee"] },
    ])]);
    expect(await owner("srv/own/audio/music/theme.ogg")).toEqual({ team: "audio", people: [], pattern: "srv/own/audio" });
    expect(await owner("srv/own/audio/ui/menu/click.ogg")).toEqual({ team: "ui-audio", people: ["kim"], pattern: "srv/own/audio/ui" });
    // most literal characters wins: the ui folder (16) over any .wav (14), ui .wav files (20) over both
    expect(await owner("srv/own/rendering/fx/boom.wav")).toEqual({ team: "sound-design", people: [], pattern: "srv/own/**/*.wav" });
    expect(await owner("srv/own/audio/music/theme.wav")).toEqual({ team: "sound-design", people: [], pattern: "srv/own/**/*.wav" });
    expect(await owner("srv/own/audio/ui/click.wav")).toEqual({ team: "ui-sound", people: ["lee"], pattern: "srv/own/audio/ui/**/*.wav" });
    expect(await owner("srv/own/audio/ui/click.ogg")).toEqual({ team: "ui-audio", people: ["kim"], pattern: "srv/own/audio/ui" });
    expect(await owner("srv/own/audiox/a.ogg")).toEqual({ team: "audiox", people: [], pattern: null }); // whole segments only
    expect(await owner("srv/own/rendering/s.usf")).toEqual({ team: "rendering", people: [], pattern: null });
  });

  it("CODEOWNERS files load, with teams and people", async () => {
    const n = (await sql.query("select ledger.load_codeowners('own', $1, 'srv/own') as n", [
      "# comment\n/audio/ @studio/audio @kim\n*.uasset @studio/content lee@studio.example\n"])).rows[0].n;
    expect(n).toBe(2);
    expect(await owner("srv/own/audio/a.ogg")).toEqual({ team: "audio", people: ["kim"], pattern: "srv/own/audio" });
    expect(await owner("srv/own/art/x/y.uasset")).toEqual({ team: "content", people: ["lee@studio.example"], pattern: "srv/own/**/*.uasset" });
  });

  it("malformed rules are refused naming the field, and nothing changes", async () => {
    const before = (await sql.query("select count(*)::int as n from ledger.owner_rules where project = 'own'")).rows[0].n;
    for (const [rules, msg] of [
      [[{ pattern: "" , team: "x" }], /^rules\[0\]\.pattern:/],
      [[{ pattern: "a", team: "x" }, { pattern: "b" }], /^rules\[1\]: a rule needs a team or people/],
      [[{ pattern: "a", team: "x", colour: "red" }], /^rules\[0\]: unknown field/],
      [[{ pattern: "a", people: [1] }], /^rules\[0\]\.people:/],
    ] as const) {
      const e = await sql.query("select ledger.set_owner_rules('own', $1)", [JSON.stringify(rules)]).catch((x) => x);
      expect(e.code).toBe("22023");
      expect(e.message).toMatch(msg);
    }
    expect((await sql.query("select count(*)::int as n from ledger.owner_rules where project = 'own'")).rows[0].n).toBe(before);
  });
});

describe("over HTTP", () => {
  let svc: Service;
  let tok: string;
  beforeAll(async () => {
    await sql.query("select ledger.ingest_report($1)", [{ project: "web", changelist: 1, issues: [] }]);
    await sql.query("select ledger.ingest_report($1)", [{ project: "web", changelist: 3, issues: [{ path: "srv/web/a/b.cpp", severity: "error", message: "boom" }] }]);
    svc = await startService(db.url);
    tok = await token(db.url, "web", "vcs");
  });
  afterAll(async () => { await svc.close(); });
  const req = (method: string, path: string, body: unknown, type = "application/json", t: string | null = tok) =>
    fetch(`${svc.base}${path}`, { method, headers: { "content-type": type, ...(t ? { authorization: `Bearer ${t}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body) });

  it("changelists, suspects and owners with the project's token; 4xx naming the field", async () => {
    const ok = await req("POST", "/v1/changelists", [{ project: "web", changelist: 2, author: "ann", files: ["srv/web/a/b.cpp"] }]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ recorded: 1 });
    expect((await req("POST", "/v1/changelists", [{ project: "other", changelist: 2 }])).status).toBe(403);
    expect((await req("POST", "/v1/changelists", [{ project: "web", changelist: 2 }], "application/json", null)).status).toBe(401);
    const bad = await req("POST", "/v1/changelists", [{ project: "web", changelist: -2 }]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe("changes[0].changelist");

    const { rows: [ii] } = await sql.query("select issue_id from ledger.issue_instance where path = 'srv/web/a/b.cpp'");
    const s = await fetch(`${svc.base}/v1/suspects?project=web&issue_id=${ii.issue_id}`, { headers: { authorization: `Bearer ${tok}` } });
    expect(s.status).toBe(200);
    expect((await s.json()).map((x: { cl: number; rank: number; author: string | null }) => [x.cl, x.rank, x.author])).toEqual([[2, 2, "ann"], [3, 0, null]]);

    const co = await req("PUT", "/v1/owners?project=web&path_prefix=srv/web", "/a/ @studio/alpha\n", "text/plain");
    expect(co.status).toBe(200);
    expect(await co.json()).toEqual({ project: "web", rules: 1 });
    const badRules = await req("PUT", "/v1/owners?project=web", { rules: [{ pattern: "x" }] });
    expect(badRules.status).toBe(400);
    expect((await badRules.json()).field).toBe("rules[0]");
    const list = await fetch(`${svc.base}/v1/owners?project=web`, { headers: { authorization: `Bearer ${tok}` } });
    expect(await list.json()).toEqual([{ pattern: "srv/web/a", team: "alpha", people: [] }]);
  });
});
