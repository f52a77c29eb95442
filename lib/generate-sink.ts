// Where generated reports go: the SQL contract (ledger.stage_report, then the worker
// processes them), HTTP (POST /v1/reports, as a build farm would), or files in any
// input format (json, ndjson, sarif, log) for other tools.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import type { GeneratedReport } from "./generator.js";
import type { Report } from "./formats/types.js";

export type Sink =
  | { kind: "sql"; pool: pg.Pool }
  | { kind: "http"; url: string; tokens: Record<string, string> }
  | { kind: "files"; dir: string; format: "json" | "ndjson" | "sarif" | "log" };

function toNdjson(r: Report): string {
  const { issues, ...header } = r;
  return [JSON.stringify(header), ...(issues ?? []).map((i) => JSON.stringify(i))].join("\n") + "\n";
}

function toSarif(r: Report): string {
  return JSON.stringify({
    version: "2.1.0", $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    runs: [{ tool: { driver: { name: "buildledger-generator", rules: [] } },
      results: (r.issues ?? []).map((i) => ({
        ruleId: i.category ?? "issue", level: i.severity === "info" ? "note" : i.severity,
        message: { text: i.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: i.path } } }],
      })) }],
  }, null, 1);
}

function toLog(r: Report): string {
  // Unreal-style cook log lines; the file path is the asset's, as LogCook prints it.
  return (r.issues ?? []).map((i) => `[2026.11.01-12.00.00:000][  0]Log${(i.category ?? "Cook").replace(/^./, (c) => c.toUpperCase())}: ${i.severity === "error" ? "Error" : "Warning"}: ${i.message} (in ${i.path.split("/").slice(2).join("/")})`)
    .join("\n") + "\n";
}

export async function deliver(sink: Sink, plan: GeneratedReport, index: number): Promise<number | undefined> {
  const report = plan.make();
  if (sink.kind === "sql") {
    const { rows } = await sink.pool.query("select ledger.stage_report($1::jsonb) as id", [JSON.stringify(report)]);
    return Number(rows[0].id);
  }
  if (sink.kind === "http") {
    const res = await fetch(`${sink.url.replace(/\/$/, "")}/v1/reports?format=ndjson`, {
      method: "POST", body: toNdjson(report),
      headers: { "content-type": "application/x-ndjson", authorization: `Bearer ${sink.tokens[plan.project] ?? ""}` },
    });
    const body = (await res.json()) as { snapshot_id?: number; error?: string };
    if (res.status !== 202) throw new Error(`POST report ${index} (${plan.project} CL ${plan.changelist}): HTTP ${res.status}: ${body.error}`);
    return body.snapshot_id;
  }
  await mkdir(sink.dir, { recursive: true });
  const name = `${String(index).padStart(5, "0")}-${plan.project}-${plan.changelist}-${plan.kind}`;
  const [ext, text] = sink.format === "ndjson" ? ["ndjson", toNdjson(report)]
    : sink.format === "sarif" ? ["sarif", toSarif(report)]
    : sink.format === "log" ? ["log", toLog(report)]
    : ["json", JSON.stringify(report, null, 1) + "\n"];
  await writeFile(path.join(sink.dir, `${name}.${ext}`), text);
  if (sink.format === "sarif" || sink.format === "log") {
    // SARIF and logs carry no project/CL/build: keep them beside the file.
    const { issues: _i, ...meta } = report;
    await writeFile(path.join(sink.dir, `${name}.meta.json`), JSON.stringify(meta) + "\n");
  }
  return undefined;
}
