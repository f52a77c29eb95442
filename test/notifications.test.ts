// Notifications (issue 12, part 5): subscriptions delivered by graphile-worker jobs to
// webhooks on 127.0.0.1 — one message per subscription and snapshot (a CL adding 2,000
// issues is one message), HMAC-SHA256 over the raw body, a Slack-compatible payload,
// retries with backoff against a receiver that fails then succeeds (the delivery log
// keeps the last error), and exactly-once effect across a kill -9 of the worker: the
// outbox holds one message per (subscription, snapshot), every attempt carries the same
// Idempotency-Key and bytes, and a receiver that ignores a key it has seen acts once.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../worker/index.js";
import { signBody } from "../worker/notify.js";
import { databasePool } from "./helpers/db.js";
import { spawnWorker, waitFor } from "./helpers/service.js";

interface Received { key: string; signature: string; body: string; path: string }
/** A webhook receiver: records every request; `answer` decides the status (and may stall). */
async function receiver(answer: (r: Received, n: number) => number | "stall" = () => 200) {
  const got: Received[] = [];
  const stalled: (() => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const r = { key: String(req.headers["idempotency-key"]), signature: String(req.headers["x-buildledger-signature"]),
                  body: Buffer.concat(chunks).toString("utf8"), path: req.url ?? "" };
      got.push(r);
      const a = answer(r, got.length);
      if (a === "stall") { stalled.push(() => res.destroy()); return; }
      res.writeHead(a, { "content-type": "text/plain" }).end(a === 200 ? "ok" : "receiver says no");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { got, url: (path: string) => `http://127.0.0.1:${port}${path}`,
           close: () => { stalled.forEach((f) => f()); server.closeAllConnections(); return new Promise((r) => server.close(r)); } };
}
const verify = (secret: string, r: Received) => {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  const given = Buffer.from(r.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
};

const databases = databasePool();
const freshDb = () => databases.fresh();
afterAll(() => databases.closeAll());

const SECRET = "test-secret-0123456789abcdef";
const issues = (n: number, team = "audio", from = 0) => Array.from({ length: n }, (_, i) => ({
  path: `srv/nt/${team}/cues/cue${from + i}.wav`, severity: i % 4 ? "warning" : "error", message: `Missing audio cue 'C_${from + i}'` }));
const subscribe = (pool: pg.Pool, sub: object) => pool.query("select ledger.set_subscription('nt', $1::jsonb, 'test') as s", [JSON.stringify(sub)]);
const outbox = async (pool: pg.Pool) =>
  (await pool.query("select subscription, cl, event_count, state, attempts, last_status, last_error from ledger.notification_log order by outbox_id")).rows;

describe("batching, signatures, formats", () => {
  it("a CL adding 2,000 issues sends one signed message per matching subscription", async () => {
    const a = await freshDb();
    const rx = await receiver();
    try {
      await a.pool.query("insert into ledger.project (project) values ('nt')");
      await a.pool.query(`select ledger.set_owner_rules('nt', '[{"pattern": "srv/nt/audio", "team": "audio"}]')`);
      await subscribe(a.pool, { name: "audio-json", url: rx.url("/json"), team: "audio", kinds: ["new", "regression", "resolved"], secret: SECRET });
      await subscribe(a.pool, { name: "all-slack", url: rx.url("/slack"), format: "slack", kinds: ["new", "regression", "resolved", "suspect"], secret: SECRET });
      await subscribe(a.pool, { name: "errors-under-render", url: rx.url("/render"), path_prefix: "srv/nt/render", severities: ["error"], secret: SECRET });
      await subscribe(a.pool, { name: "off", url: rx.url("/off"), active: false, secret: SECRET });
      const w = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {}, pollInterval: 100 });
      try {
        // CL 1: three render issues; CL 2: 2,000 new audio issues, the render issues resolved
        await a.pool.query("select ledger.stage_report($1)", [{ project: "nt", changelist: 1, issues: issues(3, "render") }]);
        await a.pool.query("select ledger.stage_report($1)", [{ project: "nt", changelist: 2, issues: issues(2000) }]);
        await waitFor("four messages delivered", async () => (await outbox(a.pool)).filter((o) => o.state === "delivered").length === 4, 90_000, 200);
        await new Promise((r) => setTimeout(r, 1500)); // nothing else trickles in
      } finally {
        await w.stop();
      }
      const byPath = Object.fromEntries(["/json", "/slack", "/render", "/off"].map((p) => [p, rx.got.filter((g) => g.path === p)]));
      expect(byPath["/json"]).toHaveLength(1);
      expect(byPath["/slack"]).toHaveLength(2);     // CL 1 and CL 2
      expect(byPath["/render"]).toHaveLength(1);    // the new render error at CL 1 (its resolution is not a kind it asked for)
      expect(byPath["/off"]).toHaveLength(0);
      for (const r of rx.got) {
        expect(verify(SECRET, r)).toBe(true);
        expect(r.signature).toBe(signBody(SECRET, r.body));
        expect(verify("another-secret-0123456789", r)).toBe(false);
        expect(verify(SECRET, { ...r, body: r.body.replace("nt", "nu") })).toBe(false);
      }
      const json = JSON.parse(byPath["/json"][0].body);
      expect(json).toMatchObject({ type: "buildledger.notification", subscription: "audio-json", project: "nt", stream: "main", cl: 2,
                                   counts: { new: 2000, regression: 0, resolved: 0, suspect: 0 }, events_omitted: 1500 });
      expect(json.idempotency_key).toBe(byPath["/json"][0].key);
      expect(json.events).toHaveLength(500);
      expect(json.events.every((e: { kind: string; team: string }) => e.kind === "new" && e.team === "audio")).toBe(true);
      const slack = JSON.parse(byPath["/slack"].find((r) => JSON.parse(r.body).buildledger.cl === 2)!.body);
      expect(slack.text).toBe("buildledger nt/main CL 2: 2000 new, 3 resolved");
      expect(slack.blocks[1].text.text).toMatch(/… and 1983 more$/);
      expect(slack.buildledger.counts).toEqual({ new: 2000, regression: 0, resolved: 3, suspect: 0 });
      expect(JSON.parse(byPath["/render"][0].body)).toMatchObject({ cl: 1, counts: { new: 1 }, events: [{ path: "srv/nt/render/cues/cue0.wav", severity: "error" }] });
      expect((await outbox(a.pool)).map((o) => [o.subscription, o.cl, o.event_count, o.state, o.attempts])).toEqual([
        ["all-slack", "1", 3, "delivered", 1], ["errors-under-render", "1", 1, "delivered", 1],
        ["audio-json", "2", 2000, "delivered", 1], ["all-slack", "2", 2003, "delivered", 1]]);
      // notifying the same snapshot again (a retried job) queues nothing
      const { rows: [s2] } = await a.pool.query("select snapshot_id from ledger.snapshot where cl = 2");
      expect((await a.pool.query("select ledger_private.notify_snapshot($1) as n", [s2.snapshot_id])).rows[0].n).toBe(0);
      // re-processing it (a backfill: new content version) finds every event already sent: still nothing
      await a.pool.query("select ledger_private.reprocess_snapshot($1)", [s2.snapshot_id]);
      expect((await a.pool.query("select ledger_private.notify_snapshot($1) as n", [s2.snapshot_id])).rows[0].n).toBe(0);
      expect((await outbox(a.pool))).toHaveLength(4);
    } finally {
      await rx.close();
    }
  });
});

describe("retries", () => {
  it("a receiver that fails twice and then succeeds gets the same signed bytes three times; the log keeps each error", async () => {
    const a = await freshDb();
    const rx = await receiver((_r, n) => (n <= 2 ? 500 : 200));
    try {
      await a.pool.query("insert into ledger.project (project) values ('nt')");
      await subscribe(a.pool, { name: "flaky-receiver", url: rx.url("/hook"), secret: SECRET });
      const w = await startWorker({ databaseUrl: a.url, handleSignals: false, log: () => {}, pollInterval: 100 });
      try {
        await a.pool.query("select ledger.stage_report($1)", [{ project: "nt", changelist: 7, issues: issues(5) }]);
        await waitFor("the first failure to be logged", async () => (await outbox(a.pool))[0]?.attempts === 1, 60_000, 100);
        expect(await outbox(a.pool)).toEqual([{ subscription: "flaky-receiver", cl: "7", event_count: 5, state: "pending", attempts: 1,
                                               last_status: 500, last_error: "HTTP 500: receiver says no" }]);
        await waitFor("the message to be delivered", async () => (await outbox(a.pool))[0]?.state === "delivered", 90_000, 200);
      } finally {
        await w.stop();
      }
      expect(rx.got).toHaveLength(3);
      expect(new Set(rx.got.map((g) => g.key)).size).toBe(1);
      expect(new Set(rx.got.map((g) => g.body)).size).toBe(1);
      expect(rx.got.every((g) => verify(SECRET, g))).toBe(true);
      expect(await outbox(a.pool)).toEqual([{ subscription: "flaky-receiver", cl: "7", event_count: 5, state: "delivered", attempts: 3,
                                             last_status: 200, last_error: "HTTP 500: receiver says no" }]);
      const { rows } = await a.pool.query("select attempt, status, error from ledger.notification_attempts order by attempt");
      expect(rows).toEqual([{ attempt: 1, status: 500, error: "HTTP 500: receiver says no" },
                            { attempt: 2, status: 500, error: "HTTP 500: receiver says no" }, { attempt: 3, status: 200, error: null }]);
      // the attempts were spread out by the backoff, not fired at once
      const { rows: t } = await a.pool.query("select max(at) - min(at) > interval '2 seconds' as spread from ledger.notification_attempts");
      expect(t[0].spread).toBe(true);
    } finally {
      await rx.close();
    }
  });
});

describe("exactly once across kill -9", () => {
  it("a worker killed after the receiver acted but before it heard back: the retry carries the same key, the receiver acts once", async () => {
    const a = await freshDb();
    const acted = new Set<string>();
    // the receiver acts on a key it has not seen (the receiver's half of the contract),
    // but stalls its answer to the first request: the worker dies waiting for it
    const rx = await receiver((r, n) => { acted.add(r.key); return n === 1 ? "stall" : 200; });
    try {
      await a.pool.query("insert into ledger.project (project) values ('nt')");
      await subscribe(a.pool, { name: "once", url: rx.url("/once"), secret: SECRET });
      await subscribe(a.pool, { name: "twice", url: rx.url("/twice"), kinds: ["new", "resolved"], secret: SECRET });
      const w1 = spawnWorker(a.url);
      const exited = new Promise((r) => w1.on("exit", r));
      await a.pool.query("select ledger.stage_report($1)", [{ project: "nt", changelist: 3, issues: issues(50) }]);
      await waitFor("the first delivery to reach the receiver", async () => rx.got.length >= 1, 60_000, 20);
      w1.kill("SIGKILL");
      await exited;
      const mid = await outbox(a.pool);
      expect(mid.filter((o) => o.state === "delivered").length).toBeLessThan(2); // it really died before both were recorded

      const w2 = spawnWorker(a.url);
      try {
        await waitFor("both messages delivered", async () => (await outbox(a.pool)).filter((o) => o.state === "delivered").length === 2, 120_000, 200);
      } finally {
        w2.kill("SIGTERM");
        await new Promise((r) => w2.on("exit", r));
      }
      const first = rx.got[0];
      const resent = rx.got.filter((g) => g.key === first.key);
      expect(resent.length).toBe(2);                                 // at least once on the wire ...
      expect(new Set(resent.map((g) => g.body)).size).toBe(1);       // ... with the same bytes and signature
      expect(resent.every((g) => verify(SECRET, g))).toBe(true);
      expect(acted.size).toBe(2);                                    // ... and once in effect: one key per message
      expect(new Set(rx.got.map((g) => g.key))).toEqual(acted);
      expect(await outbox(a.pool)).toHaveLength(2);                  // one message per subscription and snapshot
      const { rows } = await a.pool.query("select count(*)::int as n, count(distinct (subscription_id, issue_id, kind))::int as d from ledger_private.notification_event");
      expect(rows[0]).toEqual({ n: 100, d: 100 });
    } finally {
      await rx.close();
    }
  });
});
