// Readiness: is the database reachable and at the schema this code expects?
import { readdir } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { checksum, ROOT, statelessSqlFiles } from "./migrate.js";

export interface Readiness { ready: boolean; database: boolean; migrations: boolean; detail?: string }

export async function readiness(pool: pg.Pool): Promise<Readiness> {
  try {
    const committed = (await readdir(path.join(ROOT, "migrations", "committed"))).filter((f) => f.endsWith(".sql")).sort();
    const { rows } = await pool.query(
      `select (select max(filename) from graphile_migrate.migrations) as last,
              (select checksum from ledger_private.sql_state) as sum`);
    // graphile-migrate records a committed migration as "<number>.sql"
    const last = committed[committed.length - 1];
    const expected = last ? `${/^\d+/.exec(last)?.[0]}.sql` : null;
    const sum = checksum(await statelessSqlFiles());
    const migrations = rows[0].last === expected && rows[0].sum === sum;
    return { ready: migrations, database: true, migrations,
             detail: migrations ? undefined : `database at ${rows[0].last}, code expects ${expected}${rows[0].sum === sum ? "" : "; functions/ and sql/ differ"}` };
  } catch (e) {
    return { ready: false, database: false, migrations: false, detail: (e as Error).message };
  }
}
