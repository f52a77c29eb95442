// Readiness: is the database reachable and at the schema this code expects?
import { readdir } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { checksum, ROOT, statelessSqlFiles } from "./migrate.js";

export interface PoolStats { total: number; idle: number; waiting: number }
export interface Readiness { ready: boolean; database: boolean; migrations: boolean; detail?: string; pool?: PoolStats }

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

/**
 * Ready when a pooled connection can be had within `timeoutMs` (a stuck or exhausted
 * pool makes the server unready, not just slow) and the schema is the one this code
 * expects.
 */
export async function readiness(pool: pg.Pool, extra: { pool?: PoolStats; timeoutMs?: number } = {}): Promise<Readiness> {
  const timeoutMs = extra.timeoutMs ?? 2_000;
  let client: pg.PoolClient | undefined;
  try {
    const { expected, sum } = await expectations();
    const acquiring = pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pool: no database connection within ${timeoutMs} ms (pool exhausted or database unreachable)`)), timeoutMs);
    });
    try {
      client = await Promise.race([acquiring, timedOut]);
    } catch (e) {
      acquiring.then((c) => c.release(), () => {}); // a late connection goes back to the pool
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const { rows } = await client.query(
      `select (select max(filename) from graphile_migrate.migrations) as last,
              (select checksum from ledger_private.sql_state) as sum`);
    const migrations = rows[0].last === expected && rows[0].sum === sum;
    return { ready: migrations, database: true, migrations, pool: extra.pool,
             detail: migrations ? undefined : `database at ${rows[0].last}, code expects ${expected}${rows[0].sum === sum ? "" : "; functions/ and sql/ differ"}` };
  } catch (e) {
    return { ready: false, database: false, migrations: false, pool: extra.pool, detail: (e as Error).message };
  } finally {
    client?.release();
  }
}
