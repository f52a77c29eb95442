// Concurrency: two sessions ingesting into one timeline at once leave the state of
// a serial run; different timelines never wait for each other.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cloneDatabase } from "./helpers/db.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
const clients: pg.Client[] = [];
async function connect() {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  clients.push(c);
  return c;
}
beforeAll(async () => { db = await cloneDatabase(); });
afterAll(async () => {
  for (const c of clients) await c.end();
  await db.drop();
});

const issues = (cl: number) =>
  Array.from({ length: 200 }, (_, i) => i)
    .filter((i) => (i * 7 + cl) % 5 !== 0)
    .map((i) => ({ path: `srv/atlas/team${i % 4}/asset${i}.uasset`, severity: "warning", message: `Broken ref ${i}` }));
const rep = (project: string, cl: number) => ({ project, changelist: cl, build: { id: `b${cl}` }, issues: issues(cl) });

async function state(c: pg.Client, project: string) {
  const iv = await c.query(
    `select ii.path, ii.message, start_cl, last_seen_cl, resolved_cl from ledger.issue_presence_interval i
       join ledger.issue_instance ii using (issue_id) where project = $1 order by 1, 2, 3`, [project]);
  const m = await c.query(`select cl, total, new, resolved from ledger.changelist_metrics where project = $1 order by cl`, [project]);
  return { iv: iv.rows, m: m.rows };
}

it("concurrent ingestion into one timeline equals serial ingestion", async () => {
  const [a, b, s] = [await connect(), await connect(), await connect()];
  const cls = Array.from({ length: 16 }, (_, i) => 1000 + i);
  for (const cl of cls) await s.query("select ledger.ingest_report($1)", [rep("serial", cl)]);
  // two sessions, interleaved CLs, racing
  const evens = cls.filter((c) => c % 2 === 0).reverse();
  const odds = cls.filter((c) => c % 2 === 1);
  await Promise.all([
    (async () => { for (const cl of evens) await a.query("select ledger.ingest_report($1)", [rep("racing", cl)]); })(),
    (async () => { for (const cl of odds) await b.query("select ledger.ingest_report($1)", [rep("racing", cl)]); })(),
  ]);
  const serial = await state(s, "serial");
  expect(serial.iv.length).toBeGreaterThan(100);
  expect(await state(s, "racing")).toEqual(serial);
});

it("a transaction holding one timeline does not block another timeline", async () => {
  const [a, b] = [await connect(), await connect()];
  await a.query("begin");
  await a.query("select ledger.ingest_report($1)", [rep("blocker", 1)]);
  await b.query("set statement_timeout = '5s'");
  // would time out if it waited for the open transaction on project "blocker"
  const r = await b.query("select ledger.ingest_report($1) as id", [rep("free", 1)]);
  expect(Number(r.rows[0].id)).toBeGreaterThan(0);
  // while the same timeline does wait
  await b.query("set statement_timeout = '300ms'");
  await expect(b.query("select ledger.ingest_report($1)", [rep("blocker", 2)])).rejects.toThrow(/statement timeout/);
  await a.query("commit");
});
