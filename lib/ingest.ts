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
import { fromSqlError, InputError } from "./errors.js";
import { logToIssues } from "./formats/log.js";
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

async function readAll(body: Readable, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const piece of body) {
    n += (piece as Buffer).length;
    if (n > maxBytes) throw new InputError("body", `larger than the limit of ${maxBytes} bytes`, 413);
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
  const text = decodeUtf8(await readAll(body, opts.maxBytes));
  let report: Report;
  let format = opts.format;
  if (opts.format === "log") {
    report = applyMeta({ issues: logToIssues(text, opts.meta) }, opts.meta);
  } else {
    const doc = stripNul(parseJson(text));
    if (opts.format === "sarif" || looksLikeSarif(doc)) {
      report = sarifToReport(doc, opts.meta);
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

async function ingestNdjson(pool: pg.Pool, body: Readable, opts: IngestOptions): Promise<IngestResult> {
  const chunkLines = opts.chunkLines ?? 5000;
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const client = await pool.connect();
  let uploadId: number | undefined;
  let pending: string[] = [];
  let ord = 0;
  let lineNo = 0;
  let bytes = 0;
  let buf = "";

  const flush = async () => {
    if (pending.length === 0 || uploadId === undefined) return;
    const data = pending.join("");
    pending = [];
    await pipeline(ReadableStream.from([data]),
      client.query(copyFrom("copy ledger_private.upload_issue (upload_id, ord, doc) from stdin")));
    await client.query("update ledger_private.upload set lines = $2 where upload_id = $1", [uploadId, ord]);
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
      delete report.issues;
      const { rows } = await client.query(
        "insert into ledger_private.upload (header) values ($1::jsonb) returning upload_id", [JSON.stringify(report)]);
      uploadId = Number(rows[0].upload_id);
      return;
    }
    const doc = stripNul(parseJson(line, `issues[${ord}] (line ${lineNo})`));
    pending.push(`${uploadId}\t${ord + 1}\t${copyEscape(JSON.stringify(doc))}\n`);
    ord++;
    if (pending.length >= chunkLines) await flush();
  };

  try {
    for await (const piece of body) {
      const b = piece as Buffer;
      bytes += b.length;
      if (bytes > opts.maxBytes) throw new InputError("body", `larger than the limit of ${opts.maxBytes} bytes`, 413);
      hash.update(b);
      try {
        buf += decoder.decode(b, { stream: true });
      } catch {
        throw new InputError(`line ${lineNo + 1}`, "invalid UTF-8");
      }
      let start = 0;
      let idx: number;
      while ((idx = buf.indexOf("\n", start)) >= 0) {
        await handleLine(buf.slice(start, idx));
        start = idx + 1;
      }
      buf = buf.slice(start);
    }
    try {
      buf += decoder.decode();
    } catch {
      throw new InputError(`line ${lineNo + 1}`, "invalid UTF-8");
    }
    if (buf.trim()) await handleLine(buf);
    if (uploadId === undefined) throw new InputError("header", "missing: an NDJSON report starts with its header line");
    await flush();
    await client.query("update ledger_private.upload set content_hash = $2 where upload_id = $1", [uploadId, hash.digest()]);
    let snapshotId: number;
    try {
      const { rows } = await client.query("select ledger_private.stage_upload($1, true) as id", [uploadId]);
      snapshotId = Number(rows[0].id);
    } catch (e) {
      throw fromSqlError(e);
    }
    return { snapshotId, issues: ord, format: "ndjson" };
  } catch (e) {
    if (uploadId !== undefined) {
      await client.query(
        `with d as (delete from ledger_private.upload_issue where upload_id = $1)
         update ledger_private.upload set state = 'failed', error = $2, finished_at = now() where upload_id = $1`,
        [uploadId, (e as Error).message]).catch(() => {});
    }
    throw e;
  } finally {
    client.release();
  }
}
