// Errors that carry an HTTP status and the offending field. Bad input is always a
// 4xx with a message that names the field; anything else is a 5xx.

export class InputError extends Error {
  constructor(public readonly field: string, message: string, public readonly status = 400) {
    super(`${field}: ${message}`);
    this.name = "InputError";
  }
}

export class HttpError extends Error {
  constructor(public readonly status: number, message: string, public readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
  }
}

/**
 * PostgreSQL data exceptions (class 22), integrity violations (class 23) and program
 * limits hit by a value (class 54, e.g. a value too large for an index row) are the
 * caller's fault.
 */
export function isClientSqlError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23") || code.startsWith("54"));
}

/** node-postgres gave up waiting for a pooled connection (pool exhausted). */
export function isPoolTimeout(e: unknown): boolean {
  return e instanceof Error && /timeout exceeded when trying to connect/i.test(e.message);
}

/** Maps a database error of class 22/23 to an InputError; the field is the message's prefix. */
export function fromSqlError(e: unknown): unknown {
  if (!isClientSqlError(e)) return e;
  const m = /^([A-Za-z_][\w.[\]]*): (.*)$/s.exec(e.message);
  return m ? new InputError(m[1], m[2]) : new InputError("report", e.message);
}
