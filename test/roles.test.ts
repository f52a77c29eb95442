// Least privilege (issue 9): the server's and the worker's roles cannot create, drop
// or alter anything; no ledger function is executable by PUBLIC; the Grafana login
// cannot write anything (large objects and temporary tables included), take advisory
// locks or sleep, and a long statement of it is cancelled by the worker's maintenance
// even after it lifted its own statement timeout.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../lib/db.js";
import { migrateDatabase } from "../lib/migrate.js";
import { cloneDatabase } from "./helpers/db.js";

let db: Awaited<ReturnType<typeof cloneDatabase>>;
let owner: pg.Pool;
beforeAll(async () => {
  db = await cloneDatabase();
  await migrateDatabase(db.url); // what an operator runs: also the database-level privileges
  owner = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
  await owner.query("select ledger.ingest_report($1)", [{ project: "roles", changelist: 1, issues: [{ path: "srv/roles/a", severity: "error", message: "m" }] }]);
});
afterAll(async () => {
  await owner.end();
  await db.drop();
});

/** Runs `sql` as `role` (SET ROLE in a transaction that is rolled back); returns the SQLSTATE or "ok". */
async function as(role: string, sql: string): Promise<string> {
  const c = await owner.connect();
  try {
    await c.query("begin");
    await c.query(`set local role ${role}`);
    await c.query(sql);
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? "error";
  } finally {
    await c.query("rollback").catch(() => {});
    c.release();
  }
}

const DDL = [
  "create table ledger.x (a int)",
  "create table public.x (a int)",
  "create table ledger_private.x (a int)",
  "create schema evil",
  "drop table ledger_private.snapshot",
  "drop view ledger.snapshot",
  "alter table ledger_private.snapshot add column x int",
  "create function ledger.f() returns int language sql as 'select 1'",
  "drop function ledger.open_issues_at(text, bigint, text)",
  "truncate ledger_private.presence_interval",
  "insert into ledger_private.snapshot (timeline_id, cl, build_id, build_status, content_hash) values (1, 9, 'x', 'complete', '\\x00')",
  "delete from ledger.issue_instance",
  "delete from ledger_private.issue_instance",
  "update ledger_private.ingest_token set revoked_at = now()",
];

describe("service roles", () => {
  for (const role of ["buildledger_ingest", "buildledger_worker"]) {
    it(`${role} cannot create, drop, alter or write tables directly`, async () => {
      for (const sql of DDL) {
        const r = await as(role, sql);
        if (sql.startsWith("update ledger_private.ingest_token") && role === "buildledger_ingest") {
          expect(r, sql).toBe("42501"); // it may only touch last_used_at
        } else {
          expect(r, `${role}: ${sql}`).toBe("42501");
        }
      }
    });
  }
  it("each can do what its process does", async () => {
    expect(await as("buildledger_ingest", `select ledger.stage_report('{"project":"roles","changelist":2,"issues":[]}')`)).toBe("ok");
    expect(await as("buildledger_ingest", "update ledger_private.ingest_token set last_used_at = now()")).toBe("ok");
    expect(await as("buildledger_ingest", "select count(*) from graphile_worker.jobs")).toBe("ok");
    expect(await as("buildledger_worker", "select ledger_private.sweep_uploads(), ledger_private.enforce_read_limits()")).toBe("ok");
    expect(await as("buildledger_worker", "select ledger.process_snapshot((select max(snapshot_id) from ledger.snapshot))")).toBe("ok");
    expect(await as("buildledger_ingest", "select ledger.process_snapshot(1)")).toBe("42501");
    expect(await as("buildledger_worker", `select ledger.stage_report('{"project":"roles","changelist":3}')`)).toBe("42501");
  });
  it("no function of the ledger's schemas is executable by PUBLIC", async () => {
    const { rows } = await owner.query(
      `select p.oid::regprocedure::text as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('ledger', 'ledger_private')
          and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                       where a.grantee = 0 and a.privilege_type = 'EXECUTE')`);
    expect(rows).toEqual([]);
  });
});

describe("the Grafana login", () => {
  const FORBIDDEN = [
    "select lo_create(0)",
    "select lo_from_bytea(0, '\\x01')",
    "select pg_advisory_lock(42)",
    "select pg_try_advisory_xact_lock(hashtext('buildledger:migrate'))",
    "select pg_sleep(0.01)",
    "create temp table t (a int)",
    "insert into ledger_private.gate_policy (project) values ('roles')",
    "select ledger.set_gate_policy('roles', '{}')",
    "select ledger.stage_report('{}')",
  ];
  it("cannot write anything, take advisory locks or sleep, whatever it sets", async () => {
    for (const sql of FORBIDDEN) {
      expect(await as("buildledger_grafana", `set default_transaction_read_only = off; ${sql}`), sql).toBe("42501");
    }
  });
  it("a statement running past the limit is cancelled even after SET statement_timeout = 0", async () => {
    const grafana = new pg.Client({ connectionString: withDatabase(db.url.replace("postgres@", "buildledger_grafana@"), new URL(db.url).pathname.slice(1)) });
    await grafana.connect();
    try {
      await grafana.query("set statement_timeout = 0");
      const long = grafana.query("select count(*) from generate_series(1, 2000000000)").then(() => "finished", (e) => e.code);
      await new Promise((r) => setTimeout(r, 1500));
      const { rows } = await owner.query("select ledger_private.enforce_read_limits('1 second') as n");
      expect(rows[0].n).toBe(1);
      expect(await long).toBe("57014"); // query_canceled
    } finally {
      await grafana.end();
    }
  });
});
