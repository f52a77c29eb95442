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
    // two keys that differ only by NUL bytes would silently lose one value
    if (Object.hasOwn(out, key)) throw new InputError(childField(field, key), "given twice (once with NUL bytes in its name)");
    const clean = stripNul(v, childField(field, key), depth + 1);
    // (a "__proto__" key is data, kept like any other: defined, since assigning it would
    // set the prototype; the others assigned, twice as fast)
    if (key === "__proto__") Object.defineProperty(out, key, { value: clean, enumerable: true, writable: true, configurable: true });
    else out[key] = clean;
  }
  return out as T;
}

/**
 * JSON.parse that reports where the document is broken, naming the field, and keeps
 * every number exact: one a double cannot hold (an integer beyond 2^53, more than 15
 * significant digits, beyond the double range) stays a raw JSON number
 * (JSON.rawJSON), so JSON.stringify hands its exact digits to PostgreSQL (jsonb
 * numeric), which accepts or refuses it (a CL above the int8 range or 1.0000000000000000001
 * is a clear class-22 error, never CL 1; a count of 1e400 is refused, never null).
 */
export function parseJson(text: string, field = "body"): unknown {
  try {
    return JSON.parse(text, losslessIntegers);
  } catch (e) {
    // (named by its key: the reviver does not know the rest of its path)
    if (e instanceof HugeNumberError) {
      const key = /^\d*$/.test(e.key) ? "" : e.key;   // (an array element: its index alone names nothing)
      throw new InputError(field === "body" ? key || field : key ? `${field}.${key}` : field, e.message);
    }
    if (e instanceof RangeError) throw new InputError(field, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    throw new InputError(field, `invalid JSON (${(e as Error).message})`);
  }
}

/** The significant digits of a JSON number's source, in one pass (from its first to its last non-zero digit). */
function significantDigits(src: string): number {
  let first = -1, last = -1, n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 101 || c === 69) break;   // e, E
    if (c < 48 || c > 57) continue;     // sign, point
    if (c !== 48) { if (first < 0) first = n; last = n; }
    n++;
  }
  return first < 0 ? 0 : last - first + 1;
}

/** A number written with an exponent whose written-out form would be far longer than its source. */
export class HugeNumberError extends Error {
  constructor(readonly key: string, message: string) { super(message); }
}

function losslessIntegers(this: unknown, key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number" || !context?.source) return value;
  const src = context.source;
  if (/^-?\d+$/.test(src)) return Number.isSafeInteger(value) ? value : JSON.rawJSON(src);
  // a fraction or exponent: exact as a double when finite, normal (or a true zero) and
  // of at most 15 significant digits
  const digits = significantDigits(src);
  const exact = Number.isFinite(value) && digits <= 15
    && (value === 0 ? digits === 0 : Math.abs(value) >= 2.2250738585072014e-308);
  // What PostgreSQL gets (the double as JavaScript writes it, or the source as given) is
  // written out in full by the content hash: 1e300 is 5 bytes and 301 digits, 0e-99999 is
  // 99,999 zeros. A form with an exponent is refused when written out it would be more
  // than 16 characters longer: 1e-15 and 2.5e19 pass, 1e21 and 1e-20 do not.
  const form = exact ? String(value) : src;
  const ex = /^-?(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(form);
  if (ex) {
    const e = Number(ex[3]);
    const written = Math.max(1, ex[1].length + e) + Math.max(0, (ex[2] ?? "").length - e);
    if (!(written <= form.length + 16)) {
      throw new HugeNumberError(key, `the number ${src.length > 40 ? `${src.slice(0, 40)}…` : src} would be ${Number.isFinite(written) ? written : "too many"} characters long written out (a number with an exponent may be at most 16 longer written out than as given)`);
    }
  }
  return exact ? value : JSON.rawJSON(src);
}

declare global {
  interface String { isWellFormed(): boolean }
  interface JSON {
    rawJSON(text: string): unknown;
    isRawJSON(value: unknown): boolean;
  }
}
