// Per-project ingest tokens. The clear token is shown once at creation; only its
// SHA-256 is stored (ledger_private.ingest_token). A token may carry the name of the
// person it belongs to (`user`, migration 000016): triage writes over HTTP need one,
// and the events record that name as who made them.
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest();

export interface TokenRow {
  token_id: number; project: string; name: string; user_name: string | null;
  created_at: Date; revoked_at: Date | null; last_used_at: Date | null;
}

/**
 * Creates a token for a known project (one that has reported, or is declared with
 * `createProject`). Names are unique among a project's active tokens.
 */
export async function createToken(db: pg.Pool | pg.Client, project: string, name: string,
                                  opts: { createProject?: boolean; user?: string } = {}): Promise<{ token: string; row: TokenRow }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(project)) throw new Error(`project: "${project}" is not a valid project name`);
  if (!name.trim() || name.length > 200) throw new Error("name: expected 1 to 200 characters");
  if (opts.user !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$/.test(opts.user)) {
    throw new Error(`user: "${opts.user}" is not a valid user name (letters, digits, . _ @ + -)`);
  }
  if (opts.createProject) {
    await db.query("insert into ledger.project (project) values ($1) on conflict do nothing", [project]);
  } else {
    const { rowCount } = await db.query("select 1 from ledger.project where project = $1", [project]);
    if (!rowCount) throw new Error(`project: unknown project "${project}" (no report has named it yet; declare it with --create-project)`);
  }
  const token = `blt_${randomBytes(24).toString("base64url")}`;
  try {
    const { rows } = await db.query(
      `insert into ledger_private.ingest_token (project, name, token_hash, user_name) values ($1, $2, $3, $4)
       returning token_id::int, project, name, user_name, created_at, revoked_at, last_used_at`,
      [project, name, hashToken(token), opts.user ?? null]);
    return { token, row: rows[0] };
  } catch (e) {
    if ((e as { code?: string }).code === "23505") throw new Error(`name: project "${project}" already has an active token named "${name}" (revoke it first)`);
    throw e;
  }
}

/** Revokes by id or by name within a project; returns how many tokens were revoked. */
export async function revokeToken(db: pg.Pool | pg.Client, idOrName: string, project?: string): Promise<number> {
  const byId = /^\d+$/.test(idOrName);
  const { rowCount } = await db.query(
    `update ledger_private.ingest_token set revoked_at = now()
      where revoked_at is null and ${byId ? "token_id = $1::bigint" : "name = $1"}
        and ($2::text is null or project = $2)`,
    [idOrName, project ?? null]);
  return rowCount ?? 0;
}

export async function listTokens(db: pg.Pool | pg.Client, project?: string): Promise<TokenRow[]> {
  const { rows } = await db.query(
    `select token_id::int, project, name, user_name, created_at, revoked_at, last_used_at
       from ledger_private.ingest_token where $1::text is null or project = $1 order by token_id`,
    [project ?? null]);
  return rows;
}

export type TokenCheck = { ok: true; tokenId: number; project: string; user: string | null } | { ok: false; reason: "unknown" | "revoked" };

/**
 * Checks a token by its hash: one indexed read. last_used_at is refreshed at most once
 * a minute, so a busy token does not turn every report into a write on one hot row.
 */
export async function checkToken(db: pg.Pool, token: string): Promise<TokenCheck> {
  if (token.length > 512) return { ok: false, reason: "unknown" };
  const { rows } = await db.query(
    `with t as (select token_id, project, user_name, revoked_at, last_used_at from ledger_private.ingest_token where token_hash = $1),
          touch as (update ledger_private.ingest_token i set last_used_at = now()
                      from t where i.token_id = t.token_id and t.revoked_at is null
                       and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute'))
     select token_id::int, project, user_name, revoked_at from t`, [hashToken(token)]);
  if (rows.length === 0) return { ok: false, reason: "unknown" };
  if (rows[0].revoked_at) return { ok: false, reason: "revoked" };
  return { ok: true, tokenId: rows[0].token_id, project: rows[0].project, user: rows[0].user_name };
}
