// Triage with history (issue 12, part 4): an append-only event log per issue and
// timeline, the current state derived from it, suppression that leaves the gate and
// the default counts and comes back when it expires (by CL or by time), issues marked
// fixed that come back flagged as regressions, idempotent re-posts, bad input refused
// naming the field with nothing stored, and the HTTP API with personal tokens.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";
import { startService, waitFor, type Service } from "./helpers/service.js";
import { createToken } from "../lib/tokens.js";

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

const A = { path: "srv/tri/audio/click.wav", severity: "error", message: "Missing audio cue 'UI_Click_03'" };
const B = { path: "srv/tri/render/fog.usf", severity: "error", message: "Shader fog failed to compile" };
const W = { path: "srv/web/audio/click.wav", severity: "error", message: "Missing audio cue 'UI_Click_03'" };
const C = { path: "srv/tri/render/sky.usf", severity: "warning", message: "Sky texture too large" };
const build = (project: string, cl: number, issues: object[]) =>
  sql.query("select ledger.ingest_report($1)", [{ project, changelist: cl, build: { id: `b${cl}` }, issues }]);
const idOf = async (i: { path: string }) => Number((await sql.query("select issue_id from ledger.issue_instance where path = $1", [i.path])).rows[0].issue_id);
const triage = async (events: object | object[], actor = "kim") =>
  (await sql.query("select ledger.record_triage($1::jsonb, $2) as r", [JSON.stringify(events), actor])).rows[0].r as { event_id: number; duplicate: boolean }[];
const state = async (project: string, issue: number) =>
  (await sql.query("select * from ledger.issue_triage where project = $1 and issue_id = $2", [project, issue])).rows[0];
const gate = async (project: string, cl: number) => (await sql.query("select ledger.gate($1, $2) as g", [project, cl])).rows[0].g;
const counts = async (project: string, cl: number) =>
  (await sql.query("select * from ledger.triage_counts($1, $2)", [project, cl])).rows[0];

describe("triage history and derived state", () => {
  it("every change is an event with who and when; the state is the latest event of each facet", async () => {
    await build("tri", 100, [A, B]);
    const a = await idOf(A);
    await triage({ project: "tri", issue_id: a, action: "acknowledge" });
    await triage({ project: "tri", issue_id: a, action: "assign", assignee: "lee" });
    await triage({ project: "tri", issue_id: a, action: "note", note: "cue was renamed in CL 99" }, "lee");
    let s = await state("tri", a);
    expect(s).toMatchObject({ acknowledged: true, acknowledged_by: "kim", assignee: "lee", suppressed: false, note_count: "1",
                              last_note: "cue was renamed in CL 99", last_actor: "lee", event_count: "3", regressed: false });
    await triage({ project: "tri", issue_id: a, action: "assign", assignee: "ann" }, "lee");
    await triage({ project: "tri", issue_id: a, action: "unacknowledge" }, "ann");
    s = await state("tri", a);
    expect(s).toMatchObject({ acknowledged: false, assignee: "ann", event_count: "5", last_actor: "ann" });
    const { rows } = await sql.query("select action, actor, assignee from ledger.issue_triage_event where issue_id = $1 order by event_id", [a]);
    expect(rows).toEqual([
      { action: "acknowledge", actor: "kim", assignee: null }, { action: "assign", actor: "kim", assignee: "lee" },
      { action: "note", actor: "lee", assignee: null }, { action: "assign", actor: "lee", assignee: "ann" },
      { action: "unacknowledge", actor: "ann", assignee: null }]);
    // nothing was updated in place: the log only grew
    expect((await sql.query("select count(*)::int as n from ledger_private.triage_event")).rows[0].n).toBe(5);
  });

  it("re-posting the same client id or the same content stores nothing new; a reused id with other content is refused", async () => {
    const b = await idOf(B);
    const ev = { id: "ui-7f3a", project: "tri", issue_id: b, action: "note", note: "looking" };
    const first = await triage(ev);
    const again = await triage(ev);
    expect(again).toEqual([{ event_id: first[0].event_id, duplicate: true }]);
    const same = await triage({ project: "tri", issue_id: b, action: "acknowledge" });
    expect(await triage({ project: "tri", issue_id: b, action: "acknowledge" })).toEqual([{ event_id: same[0].event_id, duplicate: true }]);
    const e = await triage({ ...ev, note: "something else" }).catch((x) => x);
    expect([e.code, e.message]).toEqual(["22023", expect.stringMatching(/^events\[0\]\.id: "ui-7f3a" was already used/)]);
    expect((await sql.query("select count(*)::int as n from ledger_private.triage_event where issue_id = $1", [b])).rows[0].n).toBe(2);
  });

  it("bad input is refused naming the field, and a batch with one bad event stores nothing", async () => {
    const a = await idOf(A);
    const before = (await sql.query("select count(*)::int as n from ledger_private.triage_event")).rows[0].n;
    for (const [ev, msg] of [
      [{ project: "tri", issue_id: 999999, action: "acknowledge" }, /^events\[0\]\.issue_id: no issue 999999 on tri\/main/],
      [{ project: "nope", issue_id: a, action: "acknowledge" }, /^events\[0\]\.project: unknown project/],
      [{ project: "tri", stream: "dev", issue_id: a, action: "acknowledge" }, /^events\[0\]\.stream:/],
      [{ project: "tri", issue_id: a, action: "ignore" }, /^events\[0\]\.action: unknown action/],
      [{ project: "tri", issue_id: a, action: "suppress" }, /^events\[0\]\.reason: a suppression needs a reason/],
      [{ project: "tri", issue_id: a, action: "suppress", reason: "x", until: "soon" }, /^events\[0\]\.until:/],
      [{ project: "tri", issue_id: a, action: "assign" }, /^events\[0\]\.assignee: required/],
      [{ project: "tri", issue_id: a, action: "note", note: "x", colour: "red" }, /^events\[0\]: unknown field "colour"/],
      [[{ project: "tri", issue_id: a, action: "note", note: "fine" }, { project: "tri", issue_id: "x", action: "note", note: "y" }],
       /^events\[1\]\.issue_id: expected an issue id/],
    ] as const) {
      const e = await triage(ev).catch((x) => x);
      expect(e.code, JSON.stringify(ev)).toMatch(/^22/);
      expect(e.message).toMatch(msg);
    }
    const e = await triage({ project: "tri", issue_id: a, action: "acknowledge" }, "").catch((x) => x);
    expect(e.message).toMatch(/^actor:/);
    expect((await sql.query("select count(*)::int as n from ledger_private.triage_event")).rows[0].n).toBe(before);
  });
});

describe("suppression", () => {
  it("leaves the gate and the default counts (flagged, not hidden) and comes back when its CL comes", async () => {
    await build("sup", 100, []);
    await build("sup", 101, [A, B]);
    const a = await idOf(A);
    let g = await gate("sup", 101);
    expect([g.status, g.counts.new_errors, g.counts.suppressed]).toEqual(["fail", 2, 0]);
    await triage({ project: "sup", issue_id: a, action: "suppress", reason: "known: audio rework", until_cl: 103 });
    g = await gate("sup", 101);
    expect([g.status, g.counts.new_errors, g.counts.suppressed, g.counts.blocking]).toEqual(["fail", 1, 1, 1]);
    expect(g.issues.find((i: { issue_id: number }) => i.issue_id === a)).toMatchObject({ suppressed: true, blocking: false });
    expect(await counts("sup", 101)).toMatchObject({ open: "2", counted: "1", suppressed: "1" });
    // still in the ledger
    expect((await sql.query("select count(*)::int as n from ledger.open_issues_at('sup', 101)")).rows[0].n).toBe(2);
    expect((await sql.query("select suppressed from ledger.open_issues_triaged('sup', 101) where issue_id = $1", [a])).rows[0].suppressed).toBe(true);
    // suppressing the other one too: the gate passes
    await triage({ project: "sup", issue_id: await idOf(B), action: "suppress", reason: "flaky farm agent" });
    expect((await gate("sup", 101)).status).toBe("pass");
    // CL 102 built: still suppressed; at CL 103 (its until_cl) it counts again
    await build("sup", 102, [A, B]);
    expect((await state("sup", a)).suppressed).toBe(true);
    expect(await counts("sup", 102)).toMatchObject({ open: "2", counted: "0", suppressed: "2" });
    await build("sup", 103, [A, B]);
    expect((await state("sup", a)).suppressed).toBe(false);
    expect(await counts("sup", 103)).toMatchObject({ open: "2", counted: "1", suppressed: "1" });
    expect((await sql.query("select issue_id from ledger.suppressed_at('sup', 103)")).rows.map((r) => Number(r.issue_id))).toEqual([await idOf(B)]);
    // and unsuppress ends one at once
    await triage({ project: "sup", issue_id: await idOf(B), action: "unsuppress" });
    expect(await counts("sup", 103)).toMatchObject({ counted: "2", suppressed: "0" });
  });

  it("a suppression until a time expires by itself", async () => {
    await build("supt", 1, [C]);
    const c = await idOf(C);
    const until = new Date(Date.now() + 1500).toISOString();
    await triage({ project: "supt", issue_id: c, action: "suppress", reason: "until the sprint ends", until });
    expect(await counts("supt", 1)).toMatchObject({ counted: "0", suppressed: "1" });
    await waitFor("the suppression to expire", async () => (await counts("supt", 1)).suppressed === "0", 30_000, 200);
    expect(await counts("supt", 1)).toMatchObject({ counted: "1", suppressed: "0" });
    expect((await state("supt", c)).suppressed).toBe(false);
  });
});

describe("regressions", () => {
  it("an issue marked fixed that comes back is flagged as a regression", async () => {
    await build("reg", 10, [A, B]);
    const a = await idOf(A), b = await idOf(B);
    await triage([{ project: "reg", issue_id: a, action: "mark_fixed" }, { project: "reg", issue_id: b, action: "mark_fixed", cl: 11 }]);
    expect(await state("reg", a)).toMatchObject({ marked_fixed_cl: "10", regressed: false });
    await build("reg", 11, []);
    await build("reg", 12, [B]);
    expect(await state("reg", a)).toMatchObject({ regressed: false });
    expect(await state("reg", b)).toMatchObject({ marked_fixed_cl: "11", regressed: true, regression_cl: "12" });
    await build("reg", 13, [A, B]);
    expect(await state("reg", a)).toMatchObject({ regressed: true, regression_cl: "13" });
    expect(await counts("reg", 13)).toMatchObject({ regressed: "2" });
    // marking fixed again (after the regression) clears the flag until it comes back once more
    await triage({ project: "reg", issue_id: a, action: "mark_fixed", cl: 13 });
    expect(await state("reg", a)).toMatchObject({ marked_fixed_cl: "13", regressed: false });
  });
});

describe("over HTTP", () => {
  let svc: Service;
  let personal: string, ci: string;
  beforeAll(async () => {
    await build("web", 5, [W]);
    svc = await startService(db.url);
    personal = (await createToken(sql, "web", "kim-laptop", { user: "kim" })).token;
    ci = (await createToken(sql, "web", "ci")).token;
  });
  afterAll(async () => { await svc.close(); });
  const call = (method: string, path: string, t: string | null, body?: unknown) =>
    fetch(`${svc.base}${path}`, { method, headers: { "content-type": "application/json", ...(t ? { authorization: `Bearer ${t}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body) });

  it("a personal token triages as its user; a token without a user, another project or bad input is a 4xx naming the field", async () => {
    const a = await idOf(W);
    const ok = await call("POST", "/v1/triage", personal, { id: "k1", project: "web", issue_id: a, action: "assign", assignee: "lee" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ actor: "kim", events: [{ event_id: expect.any(Number), duplicate: false }] });
    const again = await call("POST", "/v1/triage", personal, { id: "k1", project: "web", issue_id: a, action: "assign", assignee: "lee" });
    expect((await again.json()).events[0].duplicate).toBe(true);
    const noUser = await call("POST", "/v1/triage", ci, { project: "web", issue_id: a, action: "acknowledge" });
    expect(noUser.status).toBe(403);
    expect((await noUser.json()).error).toMatch(/^authorization: this token carries no user name/);
    expect((await call("POST", "/v1/triage", null, { project: "web", issue_id: a, action: "acknowledge" })).status).toBe(401);
    expect((await call("POST", "/v1/triage", personal, { project: "tri", issue_id: a, action: "acknowledge" })).status).toBe(403);
    const unknown = await call("POST", "/v1/triage", personal, { project: "web", issue_id: 424242, action: "acknowledge" });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).field).toBe("events[0].issue_id");

    const got = await call("GET", `/v1/triage?project=web&issue_id=${a}`, ci);
    expect(got.status).toBe(200);
    const body = await got.json();
    expect(body.state).toMatchObject({ assignee: "lee", last_actor: "kim", event_count: 1 });
    expect(body.history.map((h: { action: string; actor: string }) => [h.action, h.actor])).toEqual([["assign", "kim"]]);
  });

  it("subscriptions: a non-http URL, an unknown team or a malformed kind is a 400 naming the field; nothing stored", async () => {
    for (const [sub, field] of [
      [{ name: "s1", url: "ftp://hooks.example/x" }, "url"],
      [{ name: "s1", url: "javascript:alert(1)" }, "url"],
      [{ name: "s1", url: "https://hooks.example/x", team: "no-such-team" }, "team"],
      [{ name: "s1", url: "https://hooks.example/x", kinds: ["new", "exploded"] }, "kinds"],
      [{ name: "s1", url: "https://hooks.example/x", severities: "error" }, "severities"],
      [{ name: "s 1", url: "https://hooks.example/x" }, "name"],
    ] as const) {
      const r = await call("PUT", "/v1/subscriptions?project=web", personal, sub);
      expect(r.status, JSON.stringify(sub)).toBe(400);
      expect((await r.json()).field, JSON.stringify(sub)).toBe(field);
    }
    expect((await sql.query("select count(*)::int as n from ledger_private.subscription")).rows[0].n).toBe(0);
    const ok = await call("PUT", "/v1/subscriptions?project=web", personal, { name: "audio", url: "https://hooks.example/x?k=secret", team: "audio", kinds: ["new", "regression", "suspect"] });
    expect(ok.status).toBe(200);
    const created = await ok.json();
    expect(created).toMatchObject({ name: "audio", team: "audio", secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/) });
    // readers never see the secret or the URL's path and query
    const list = await (await call("GET", "/v1/subscriptions?project=web", ci)).json();
    expect(list).toEqual([expect.objectContaining({ name: "audio", url_host: "https://hooks.example" })]);
    expect(JSON.stringify(list)).not.toMatch(/secret|k=/);
  });
});

describe("roles", () => {
  it("buildledger_triage may record triage and set subscriptions, nothing else; readers and Grafana may not write triage", async () => {
    await build("rol", 1, [A]);
    const a = await idOf(A);
    const c = await sql.connect();
    const as = async (role: string, q: string, params: unknown[] = []) => {
      await c.query("begin");
      try {
        await c.query(`set local role ${role}`);
        await c.query(q, params);
        return "ok";
      } catch (e) {
        return (e as { code?: string }).code;
      } finally {
        await c.query("rollback");
      }
    };
    try {
      const ev = JSON.stringify({ project: "rol", issue_id: a, action: "acknowledge" });
      expect(await as("buildledger_triage", "select ledger.record_triage($1::jsonb, 'kim')", [ev])).toBe("ok");
      expect(await as("buildledger_triage", `select ledger.set_subscription('rol', '{"name": "x", "url": "https://h.example/x"}')`)).toBe("ok");
      expect(await as("buildledger_triage", "select * from ledger.issue_triage")).toBe("ok");
      expect(await as("buildledger_triage", `select ledger.stage_report('{"project": "rol", "changelist": 2}')`)).toBe("42501");
      expect(await as("buildledger_triage", "insert into ledger_private.triage_event (project, stream, issue_id, action, actor) values ('rol', 'main', 1, 'note', 'x')")).toBe("42501");
      expect(await as("buildledger_triage", "select ledger_private.notify_snapshot(1)")).toBe("42501");
      expect(await as("buildledger_reader", "select ledger.record_triage($1::jsonb, 'kim')", [ev])).toBe("42501");
      expect(await as("buildledger_grafana", "select ledger.record_triage($1::jsonb, 'kim')", [ev])).toBe("42501");
      expect(await as("buildledger_reader", "select secret from ledger_private.subscription")).toBe("42501");
      expect(await as("buildledger_reader", "select * from ledger.webhook_subscriptions")).toBe("ok");
      expect(await as("buildledger_worker", "select ledger_private.notify_snapshot(1)")).toBe("ok");
    } finally {
      c.release();
    }
  });
});
