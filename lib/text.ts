// Text hygiene at the edge: strict UTF-8 decoding, NUL stripping and well-formed
// Unicode (SPEC section 2), lossless integers and bounded nesting. PostgreSQL text
// and jsonb cannot hold NUL or lone surrogates, so every string is cleaned or
// refused here, naming the field, before it reaches SQL; invalid UTF-8 is rejected,
// never replaced.
import { InputError } from "./errors.js";

/** Deepest JSON nesting accepted (a report is 4 levels deep; SARIF about 10). */
export const MAX_JSON_DEPTH = 64;

/** Decodes bytes as UTF-8, throwing InputError(field) on invalid sequences. */
export function decodeUtf8(buf: Uint8Array, field = "body"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new InputError(field, "invalid UTF-8");
  }
}

const childField = (field: string, key: string | number) =>
  typeof key === "number" ? `${field}[${key}]` : field === "" ? key : `${field}.${key}`;

function cleanString(s: string, field: string): string {
  const out = s.includes("\0") ? s.replaceAll("\0", "") : s;
  if (!out.isWellFormed()) throw new InputError(field || "body", "invalid Unicode (a lone surrogate escape such as \\ud800)");
  return out;
}

/**
 * A copy of a parsed JSON value with NUL characters removed from every string and
 * key; refuses lone surrogates and nesting deeper than MAX_JSON_DEPTH, naming the
 * field (`issues[3].message`). `field` is the path of `value` in the document.
 */
export function stripNul<T>(value: T, field = "", depth = 0): T {
  if (typeof value === "string") return cleanString(value, field) as T;
  if (value === null || typeof value !== "object") return value;
  if (JSON.isRawJSON(value)) return value;
  if (depth >= MAX_JSON_DEPTH) throw new InputError(field || "body", `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((v, i) => stripNul(v, childField(field, i), depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = cleanString(k, field);
    out[key] = stripNul(v, childField(field, key), depth + 1);
  }
  return out as T;
}

/**
 * JSON.parse that reports where the document is broken, naming the field, and keeps
 * integers beyond 2^53 exact: they stay raw JSON numbers (JSON.rawJSON), so
 * JSON.stringify hands their exact digits to PostgreSQL (jsonb numeric), which
 * accepts or refuses them (a CL above the int8 range is a clear class-22 error).
 */
export function parseJson(text: string, field = "body"): unknown {
  try {
    return JSON.parse(text, losslessIntegers);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(field, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    throw new InputError(field, `invalid JSON (${(e as Error).message})`);
  }
}

function losslessIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return JSON.rawJSON(context.source);
  }
  return value;
}

declare global {
  interface String { isWellFormed(): boolean }
  interface JSON {
    rawJSON(text: string): unknown;
    isRawJSON(value: unknown): boolean;
  }
}
