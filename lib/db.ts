// Connection helpers: one place that knows how to reach PostgreSQL.
import pg from "pg";

/** The roles the server and the worker act as (sql/890_roles.sql). */
export type ServiceRole = "buildledger_ingest" | "buildledger_worker";

/**
 * Connection settings that make every session of a pool act as `role` from its
 * first statement (startup option `-c role=…`): the server and the worker never
 * act as the owner that runs migrations. The login (DATABASE_URL, or
 * INGEST_DATABASE_URL / WORKER_DATABASE_URL for a dedicated login) must be the
 * owner or a member of the role. BUILDLEDGER_SERVICE_ROLES=off disables it.
 */
export function serviceConnection(url: string, role: ServiceRole): { connectionString: string; options?: string } {
  const dedicated = role === "buildledger_ingest" ? process.env.INGEST_DATABASE_URL : process.env.WORKER_DATABASE_URL;
  const connectionString = dedicated && sameDatabase(dedicated, url) ? dedicated : url;
  if (process.env.BUILDLEDGER_SERVICE_ROLES === "off") return { connectionString };
  return { connectionString, options: `-c role=${role}` };
}

function sameDatabase(a: string, b: string): boolean {
  try {
    const x = new URL(a), y = new URL(b);
    return x.hostname === y.hostname && (x.port || "5432") === (y.port || "5432") && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

export const DEFAULT_LOCAL_URL = "postgres://postgres@127.0.0.1:5432/buildledger";

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  return url;
}

/** The same server, another database (for CREATE DATABASE and test clones). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + database;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount) return false;
    try {
      await admin.query(`create database ${quoteIdent(name)}`);
    } catch (e) {
      if ((e as { code?: string }).code !== "42P04") throw e; // created concurrently
    }
    return true;
  } finally {
    await admin.end();
  }
}

/** Drops a database on the server of `serverUrl`, terminating its sessions. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await admin.end();
  }
}
