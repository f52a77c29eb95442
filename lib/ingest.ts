// Ingestion of one report in any supported format, shared by the HTTP server and the
// CLI. JSON, SARIF and logs are read whole (bounded by maxBytes) and staged with
// ledger.stage_report; NDJSON is streamed: its issue lines are COPYed into
// ledger_private.upload_issue in committed chunks (bounded memory, progress visible
// while it arrives) and then staged in one transaction by ledger_private.stage_upload.
// Either the whole report is staged or nothing of it is.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { Readable as ReadableStream } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { fromSqlError, HttpError, InputError } from "./errors.js";
import { decodeLog, diagnosticsToIssues, parseLog } from "./formats/log.js";
import { looksLikeSarif, sarifToReport } from "./formats/sarif.js";
import { applyMeta, type Report, type ReportMeta } from "./formats/types.js";
import { decodeUtf8, parseJson, stripNul } from "./text.js";

export const FORMATS = ["json", "ndjson", "sarif", "log"] as const;
export type Format = (typeof FORMATS)[number];

export interface IngestOptions {
  format: Format;
  meta: ReportMeta;
  /** Largest accepted body in bytes (after decompression); beyond it: 413. */
  maxBytes: number;
  /** Called with the report's project before anything is stored; throws to refuse. */
  authorize?: (project: string) => Promise<void> | void;
  /** Issue lines per committed COPY chunk (NDJSON). */
  chunkLines?: number;
  /** Bytes of issue lines buffered before a chunk is committed (NDJSON; default 8 MiB). */
  chunkBytes?: number;
  /** Longest NDJSON line in bytes (default 1 MiB); a longer line is refused with 413. */
  maxLineBytes?: number;
  /** A byte budget shared with other requests for whole-body formats; when it is spent: 503. */
  budget?: { take(n: number): boolean; give(n: number): void };
  onProgress?: (issues: number) => void;
}

export interface IngestResult { snapshotId: number; issues: number; format: Format }

/** Picks the format from an explicit name, else from the content type. */
export function formatFor(explicit: string | undefined, contentType: string | undefined): Format | undefined {
  if (explicit) return (FORMATS as readonly string[]).includes(explicit) ? (explicit as Format) : undefined;
  const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (ct === "application/x-ndjson" || ct === "application/ndjson" || ct === "application/jsonl") return "ndjson";
  if (ct === "application/sarif+json") return "sarif";
  if (ct === "text/plain" || ct === "text/x-log") return "log";
  if (ct === "application/json" || ct === "") return "json";
  return undefined;
}

async function readAll(body: Readable, maxBytes: number, budget: IngestOptions["budget"], held: { n: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const piece of body) {
    const len = (piece as Buffer).length;
    n += len;
    if (n > maxBytes) throw new InputError("body", `larger than the limit of ${maxBytes} bytes`, 413);
    if (budget) {
      if (!budget.take(len)) {
        throw new HttpError(503, "server busy: too many report bytes are being received at once; retry later", { "retry-after": "5" });
      }
      held.n += len;
    }
    parts.push(piece as Buffer);
  }
  return Buffer.concat(parts);
}

function projectOf(report: Report): string {
  if (typeof report.project !== "string" || !report.project.trim()) {
    throw new InputError("project", "required field is missing (give it in the report, as ?project= or as X-Buildledger-Project)");
  }
  return report.project.trim();
}

export async function stageReport(pool: pg.Pool, report: Report): Promise<number> {
  try {
    const { rows } = await pool.query("select ledger.stage_report($1::jsonb) as id", [JSON.stringify(report)]);
    return Number(rows[0].id);
  } catch (e) {
    throw fromSqlError(e);
  }
}

export async function ingest(pool: pg.Pool, body: Readable, opts: IngestOptions): Promise<IngestResult> {
  if (opts.format === "ndjson") return ingestNdjson(pool, body, opts);
  const held = { n: 0 };
  try {
    const bytes = await readAll(body, opts.maxBytes, opts.budget, held);
    return await ingestWhole(pool, opts.format === "log" ? decodeLog(bytes, decodeUtf8) : decodeUtf8(bytes), opts);
  } finally {
    opts.budget?.give(held.n);
  }
}

/** The report's meta with the project's configured source roots added (logs and SARIF). */
async function withProjectRoots(pool: pg.Pool, meta: ReportMeta): Promise<ReportMeta> {
  if (!meta.project) return meta;
  try {
    const { rows } = await pool.query("select ledger.source_roots($1) as roots", [meta.project]);
    const roots: string[] = rows[0].roots ?? [];
    return roots.length ? { ...meta, source_roots: [...(meta.source_roots ?? []), ...roots] } : meta;
  } catch (e) {
    throw fromSqlError(e);
  }
}

async function ingestWhole(pool: pg.Pool, text: string, opts: IngestOptions): Promise<IngestResult> {
  let report: Report;
  let format = opts.format;
  if (opts.format === "log") {
    const parsed = parseLog(text);
    const meta = await withProjectRoots(pool, opts.meta);
    report = applyMeta({ issues: diagnosticsToIssues(parsed.diagnostics, meta) }, opts.meta);
    // Unreal's own "N error(s), M warning(s)" against what was read: kept on the snapshot.
    if (parsed.summary) report.log_summary = parsed.summary;
  } else {
    const doc = stripNul(parseJson(text));
    if (opts.format === "sarif" || looksLikeSarif(doc)) {
      report = sarifToReport(doc, await withProjectRoots(pool, opts.meta));
      format = "sarif";
    } else {
      if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new InputError("report", "expected a JSON object");
      report = applyMeta(doc as Report, opts.meta);
    }
  }
  report = stripNul(report);
  await opts.authorize?.(projectOf(report));
  const snapshotId = await stageReport(pool, report);
  const issues = Array.isArray(report.issues) ? report.issues.length : 0;
  opts.onProgress?.(issues);
  return { snapshotId, issues, format };
}

const copyEscape = (s: string) => s.replace(/\\/g, "\\\\");

/**
 * Streams an NDJSON report: the header line opens an upload, issue lines are COPYed
 * into ledger_private.upload_issue in committed chunks, and stage_upload stages the
 * whole upload in one transaction. A pooled connection is taken per chunk and per
 * statement, never across a wait for the client's bytes, so slow or many concurrent
 * uploads cannot exhaust the pool, and nothing here holds one connection while it
 * waits for another. Lines are split in linear time and capped in length.
 */
async function ingestNdjson(pool: pg.Pool, body: Readable, opts: IngestOptions): Promise<IngestResult> {
  const chunkLines = opts.chunkLines ?? 5000;
  const chunkBytes = opts.chunkBytes ?? 8 * 1024 * 1024;
  const maxLine = opts.maxLineBytes ?? 1024 * 1024;
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let uploadId: number | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;
  let ord = 0;
  let lineNo = 0;
  let bytes = 0;

  const flush = async () => {
    if (pending.length === 0 || uploadId === undefined) return;
    const data = pending.join("");
    pending = [];
    pendingBytes = 0;
    const client = await pool.connect();
    try {
      await pipeline(ReadableStream.from([data]),
        client.query(copyFrom("copy ledger_private.upload_issue (upload_id, ord, doc) from stdin")));
      await client.query("update ledger_private.upload set lines = $2, touched_at = now() where upload_id = $1", [uploadId, ord]);
    } catch (e) {
      throw fromSqlError(e);
    } finally {
      client.release();
    }
    opts.onProgress?.(ord);
  };

  const handleLine = async (line: string) => {
    lineNo++;
    if (!line.trim()) return;
    if (uploadId === undefined) {
      const header = stripNul(parseJson(line, "header (line 1)"));
      if (!header || typeof header !== "object" || Array.isArray(header)) {
        throw new InputError("header", "the first line must be the report's JSON object without its issues");
      }
      const report = applyMeta(header as Report, opts.meta);
      await opts.authorize?.(projectOf(report));
      // issues in the header would be dropped unseen: refused instead
      const inline = report.issues as unknown;
      if (inline !== undefined && inline !== null && !(Array.isArray(inline) && inline.length === 0)) {
        throw new InputError("header.issues", "an NDJSON header carries no issues: send each issue as its own line after the header");
      }
      delete report.issues;
      let rows;
      try {
        ({ rows } = await pool.query(
          "insert into ledger_private.upload (header) values ($1::jsonb) returning upload_id", [JSON.stringify(report)]));
      } catch (e) {
        throw fromSqlError(e);
      }
      uploadId = Number(rows[0].upload_id);
      return;
    }
    const field = `issues[${ord}]`;
    const doc = stripNul(parseJson(line, `${field} (line ${lineNo})`), field);
    const row = `${uploadId}\t${ord + 1}\t${copyEscape(JSON.stringify(doc))}\n`;
    pending.push(row);
    pendingBytes += row.length;
    ord++;
    if (pending.length >= chunkLines || pendingBytes >= chunkBytes) await flush();
  };

  // Bytes of the current line seen so far, as decoded text pieces (no re-scanning).
  let partial: string[] = [];
  let partialLen = 0;
  try {
    for await (const piece of body) {
      const b = piece as Buffer;
      bytes += b.length;
      if (bytes > opts.maxBytes) throw new InputError("body", `larger than the limit of ${opts.maxBytes} bytes`, 413);
      hash.update(b);
      let text: string;
      try {
        text = decoder.decode(b, { stream: true });
      } catch {
        throw new InputError(`line ${lineNo + 1}`, "invalid UTF-8");
      }
      let start = 0;
      let idx: number;
      while ((idx = text.indexOf("\n", start)) >= 0) {
        const tail = text.slice(start, idx);
        const line = partialLen ? partial.join("") + tail : tail;
        partial = [];
        partialLen = 0;
        if (line.length > maxLine) throw new InputError(`line ${lineNo + 1}`, `longer than the limit of ${maxLine} characters`, 413);
        await handleLine(line);
        start = idx + 1;
      }
      if (start < text.length) {
        partial.push(text.slice(start));
        partialLen += text.length - start;
        if (partialLen > maxLine) throw new InputError(`line ${lineNo + 1}`, `longer than the limit of ${maxLine} characters`, 413);
      }
    }
    try {
      const rest = decoder.decode();
      if (rest) { partial.push(rest); partialLen += rest.length; }
    } catch {
      throw new InputError(`line ${lineNo + 1}`, "invalid UTF-8");
    }
    if (partialLen > maxLine) throw new InputError(`line ${lineNo + 1}`, `longer than the limit of ${maxLine} characters`, 413);
    const last = partial.join("");
    if (last.trim()) await handleLine(last);
    if (uploadId === undefined) throw new InputError("header", "missing: an NDJSON report starts with its header line");
    await flush();
    let snapshotId: number;
    try {
      await pool.query("update ledger_private.upload set content_hash = $2, touched_at = now() where upload_id = $1", [uploadId, hash.digest()]);
      const { rows } = await pool.query("select ledger_private.stage_upload($1, true) as id", [uploadId]);
      snapshotId = Number(rows[0].id);
    } catch (e) {
      throw fromSqlError(e);
    }
    return { snapshotId, issues: ord, format: "ndjson" };
  } catch (e) {
    if (uploadId !== undefined) {
      await pool.query(
        `with d as (delete from ledger_private.upload_issue where upload_id = $1)
         update ledger_private.upload set state = 'failed', error = $2, finished_at = now()
          where upload_id = $1 and state = 'receiving'`,
        [uploadId, (e as Error).message]).catch(() => {});
    }
    throw e;
  }
}
