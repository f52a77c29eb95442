// Readiness: is the database reachable and at the schema this code expects?
import { readdir } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { checksum, ROOT, statelessSqlFiles } from "./migrate.js";

export interface Readiness { ready: boolean; database: boolean; migrations: boolean; detail?: string }

// What this code expects, read from disk once per process (the files do not change
// under a running server): the last committed migration and the SQL checksum.
let expectedState: Promise<{ expected: string | null; sum: string }> | undefined;
function expectations() {
  expectedState ??= (async () => {
    const committed = (await readdir(path.join(ROOT, "migrations", "committed"))).filter((f) => f.endsWith(".sql")).sort();
    // graphile-migrate records a committed migration as "<number>.sql"
    const last = committed[committed.length - 1];
    return { expected: last ? `${/^\d+/.exec(last)?.[0]}.sql` : null, sum: checksum(await statelessSqlFiles()) };
  })();
  return expectedState;
}

export async function readiness(pool: pg.Pool): Promise<Readiness> {
  try {
    const { expected, sum } = await expectations();
    const { rows } = await pool.query(
      `select (select max(filename) from graphile_migrate.migrations) as last,
              (select checksum from ledger_private.sql_state) as sum`);
    const migrations = rows[0].last === expected && rows[0].sum === sum;
    return { ready: migrations, database: true, migrations,
             detail: migrations ? undefined : `database at ${rows[0].last}, code expects ${expected}${rows[0].sum === sum ? "" : "; functions/ and sql/ differ"}` };
  } catch (e) {
    return { ready: false, database: false, migrations: false, detail: (e as Error).message };
  }
}
