// A real buildledger service for tests: the fastify server on a random port and
// either an in-process worker or a worker child process (for kill -9 tests).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { buildServer, type BuildledgerServer, type ServerOptions } from "../../server/app.js";
import { ROOT } from "../../lib/migrate.js";
import { createToken } from "../../lib/tokens.js";

export interface Service { base: string; server: BuildledgerServer; close(): Promise<void> }

export async function startService(databaseUrl: string, opts: Partial<ServerOptions> = {}): Promise<Service> {
  const server = await buildServer({ databaseUrl, logger: false, ...opts });
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  const addr = server.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { base: `http://127.0.0.1:${port}`, server, close: () => server.close() };
}

export async function token(databaseUrl: string, project: string, name = "test"): Promise<string> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try { return (await createToken(c, project, name, { createProject: true })).token; } finally { await c.end(); }
}

/** Starts `buildledger worker` as a child process (the real CLI entry point). */
/**
 * A `buildledger worker` process. Its stdout and stderr are always read (into a tail
 * of the last 64 KB, `outputTail`): on Linux a write to a full pipe blocks the writer,
 * so an unread pipe would freeze the worker once its logs filled the pipe buffer.
 */
export function spawnWorker(databaseUrl: string, extraArgs: string[] = []): ChildProcess & { outputTail: () => string } {
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "buildledger.js"), "worker", ...extraArgs], {
    env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (c: Buffer) => { tail = (tail + c.toString("utf8")).slice(-65536); };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return Object.assign(child, { outputTail: () => tail });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function post(base: string, body: string | Buffer, opts: { token?: string; type?: string; query?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${base}/v1/reports${opts.query ? `?${opts.query}` : ""}`, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers: {
      "content-type": opts.type ?? "application/json",
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, headers: res.headers };
}

export async function graphql(base: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: any }[] } };
}
