// Test databases: one migrated template per run (global setup), cloned per test
// file with CREATE DATABASE ... TEMPLATE (fast), so files run in parallel without
// sharing state.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { dropDatabase, quoteIdent, withDatabase } from "../../lib/db.js";

export const SERVER_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEMPLATE = process.env.BUILDLEDGER_TEST_TEMPLATE ?? "buildledger_test_template";

/** How many intervals of a timeline differ (either way) from ledger_private.expected_intervals. */
export async function intervalsOffSpec(db: Queryable, project: string, stream = "main"): Promise<number> {
  const { rows } = await db.query(
    `select count(*)::int as n from (
       (select issue_id, start_cl, last_seen_cl, resolved_cl from ledger.issue_presence_interval where project = $1 and stream = $2
        except select * from ledger_private.expected_intervals($1, $2))
       union all
       (select * from ledger_private.expected_intervals($1, $2)
        except select issue_id, start_cl, last_seen_cl, resolved_cl from ledger.issue_presence_interval where project = $1 and stream = $2)) x`,
    [project, stream]);
  return rows[0].n;
}
type Queryable = { query: (text: string, values?: unknown[]) => Promise<{ rows: any[] }> };

export async function cloneDatabase(prefix = "bltest"): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: withDatabase(SERVER_URL, "postgres") });
  await admin.connect();
  try {
    await admin.query(`create database ${quoteIdent(name)} template ${quoteIdent(TEMPLATE)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(SERVER_URL, name);
  return {
    url,
    drop: () => dropDatabase(SERVER_URL, name),
  };
}

/**
 * Cloned databases with a small pool each, for test files that need several: call
 * `fresh()` per database and `closeAll` in afterAll (pools end, databases drop).
 */
export function databasePool() {
  const dbs: Awaited<ReturnType<typeof cloneDatabase>>[] = [];
  const pools: pg.Pool[] = [];
  return {
    async fresh() {
      const db = await cloneDatabase();
      dbs.push(db);
      const pool = new pg.Pool({ connectionString: db.url, max: 3 }).on("error", () => {});
      pools.push(pool);
      return { ...db, pool };
    },
    async closeAll() {
      for (const p of pools) await p.end();
      for (const d of dbs) await d.drop();
    },
  };
}
