// Text hygiene at the edge: strict UTF-8 decoding and NUL stripping (SPEC section 2).
// PostgreSQL text and jsonb cannot hold NUL, so every string is cleaned before it
// reaches SQL; invalid UTF-8 is rejected, never replaced.
import { InputError } from "./errors.js";

/** Decodes bytes as UTF-8, throwing InputError(field) on invalid sequences. */
export function decodeUtf8(buf: Uint8Array, field = "body"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new InputError(field, "invalid UTF-8");
  }
}

/** A copy of a parsed JSON value with NUL characters removed from every string and key. */
export function stripNul<T>(value: T): T {
  if (typeof value === "string") return (value.includes("\0") ? value.replaceAll("\0", "") : value) as T;
  if (Array.isArray(value)) return value.map(stripNul) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[stripNul(k)] = stripNul(v);
    return out as T;
  }
  return value;
}

/** JSON.parse that reports where the document is broken, naming the field. */
export function parseJson(text: string, field = "body"): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(field, `invalid JSON (${(e as Error).message})`);
  }
}
