// SARIF 2.1.0 → native report. One issue per result that reports a problem: the
// path is the result's first physical location placed under the source root — a
// `uriBaseId` location is already relative to its root; an absolute URI has the
// run's `originalUriBaseIds` roots, the caller's source roots and the CI workspace
// shapes stripped (lib/formats/paths.ts), never the folder the report's findings
// happen to share. The message is its text, the severity its level, the category
// its rule id. Results of level `note` or `none` and of kind pass / notApplicable /
// informational are context, not issues (as notes are in logs). Line and column are
// not part of an issue's identity.
import { InputError } from "../errors.js";
import { placeMessagePaths, placePath, prefixed } from "./paths.js";
import { capMessage } from "./log.js";
import { type Report, type ReportIssue, type ReportMeta, applyMeta } from "./types.js";

type Json = Record<string, unknown>;
// (a number parsed exact is a raw JSON value, an object only in form: not a SARIF object)
const obj = (v: unknown): Json | undefined =>
  (v && typeof v === "object" && !Array.isArray(v) && !JSON.isRawJSON(v) ? (v as Json) : undefined);
/** A message argument as text: a string as given, a number with its exact digits. */
const argText = (v: unknown): string =>
  typeof v === "string" ? v : JSON.isRawJSON(v) ? (v as { rawJSON: string }).rawJSON : JSON.stringify(v) ?? String(v);

/** The absolute roots a run declares (originalUriBaseIds, following uriBaseId chains). */
function runRoots(run: Json): string[] {
  const bases = obj(run.originalUriBaseIds) ?? {};
  const resolve = (name: string, depth = 0): string | undefined => {
    const b = obj(bases[name]);
    if (!b || typeof b.uri !== "string" || depth > 8) return undefined;
    if (typeof b.uriBaseId === "string") {
      const parent = resolve(b.uriBaseId, depth + 1);
      return parent ? `${parent.replace(/\/+$/, "")}/${b.uri}` : undefined;
    }
    return b.uri;
  };
  return Object.keys(bases).map((k) => resolve(k)).filter((x): x is string => !!x);
}

/**
 * A result is suppressed when it has suppressions and each is accepted (or has no
 * status); one under review or rejected leaves it reported (SARIF 2.1.0, 3.27.23).
 */
function suppressed(r: Json): boolean {
  const list = Array.isArray(r.suppressions) ? (r.suppressions as unknown[]) : [];
  return list.length > 0 && list.every((x) => { const st = obj(x)?.status; return st === undefined || st === "accepted"; });
}

const LEVELS: Record<string, string | null> = { error: "error", warning: "warning", note: null, none: null };
const NOT_PROBLEMS = new Set(["pass", "notApplicable", "informational"]);

export function sarifToReport(doc: unknown, meta: ReportMeta): Report {
  const root = obj(doc);
  if (!root) throw new InputError("sarif", "expected a SARIF log object");
  if (root.version !== "2.1.0") throw new InputError("sarif.version", `expected "2.1.0", got ${JSON.stringify(root.version)}`);
  if (!Array.isArray(root.runs)) throw new InputError("sarif.runs", "expected an array");
  const issues: ReportIssue[] = [];
  root.runs.forEach((runV, ri) => {
    const run = obj(runV);
    if (!run) throw new InputError(`sarif.runs[${ri}]`, "expected an object");
    const results = run.results ?? [];
    if (!Array.isArray(results)) throw new InputError(`sarif.runs[${ri}].results`, "expected an array");
    const rules = (obj(obj(run.tool)?.driver)?.rules as Json[] | undefined) ?? [];
    const roots = [...runRoots(run), ...(meta.source_roots ?? [])];
    const artifacts = Array.isArray(run.artifacts) ? (run.artifacts as unknown[]) : [];
    const located = results.map((rV, i) => {
      const r = obj(rV);
      if (!r) throw new InputError(`sarif.runs[${ri}].results[${i}]`, "expected an object");
      const loc = obj(obj((r.locations as unknown[] | undefined)?.[0])?.physicalLocation);
      let art = obj(loc?.artifactLocation);
      // (a location may name its file only by its index in the run's artifacts)
      if (typeof art?.uri !== "string" && typeof art?.index === "number") art = obj(obj(artifacts[art.index])?.location) ?? art;
      let uri = typeof art?.uri === "string" ? art.uri : undefined;
      if (uri !== undefined && !/^file:/i.test(uri) && /%[0-9A-Fa-f]{2}/.test(uri)) {
        try { uri = decodeURIComponent(uri); } catch { /* keep as is */ }
      }
      return { r, i, uri };
    });
    for (const { r, i, uri } of located) {
      const field = `sarif.runs[${ri}].results[${i}]`;
      const rule = typeof r.ruleIndex === "number" ? rules[r.ruleIndex] : rules.find((x) => x?.id === r.ruleId);
      const level = typeof r.level === "string" ? r.level
        : typeof obj(rule?.defaultConfiguration)?.level === "string" ? String(obj(rule?.defaultConfiguration)?.level) : "warning";
      if (!Object.hasOwn(LEVELS, level)) throw new InputError(`${field}.level`, `unknown value ${JSON.stringify(level)} (expected error, warning, note or none)`);
      const severity = LEVELS[level];
      if (severity === null || (typeof r.kind === "string" && NOT_PROBLEMS.has(r.kind))) continue; // context, not an issue
      // Suppressed in source or by the tool's own baseline (ESLint's `eslint-disable`
      // comments, MSVC's `#pragma warning(suppress)`), or absent from this run (a result a
      // baseline comparison kept to say it is gone): the build does not report it.
      if (suppressed(r) || r.baselineState === "absent") continue;
      const msg = obj(r.message);
      let text = typeof msg?.text === "string" ? msg.text : undefined;
      if (text === undefined && typeof msg?.id === "string") {
        const s = obj(obj(rule?.messageStrings)?.[msg.id]);
        if (typeof s?.text === "string") text = s.text;
      }
      if (Array.isArray(msg?.arguments) && text) {
        const args = msg.arguments as unknown[];
        text = text.replace(/\{(\d+)\}/g, (m, n) => (args[Number(n)] !== undefined ? argText(args[Number(n)]) : m));
      }
      if (!text) throw new InputError(`${field}.message`, "required field is missing");
      // A uriBaseId location is relative to its root already; an absolute one is placed.
      const p = uri === undefined ? "unknown-location" : placePath(uri, roots) || "unknown-location";
      issues.push({
        path: prefixed(meta.path_prefix, p),
        severity,
        message: placeMessagePaths(capMessage(text), roots),
        category: typeof r.ruleId === "string" ? r.ruleId : typeof rule?.id === "string" ? rule.id
          : typeof obj(r.rule)?.id === "string" ? String(obj(r.rule)!.id) : null,
      });
    }
    // A tool that could not analyse a file says so in a notification of its run, not a
    // result (ESLint's SARIF formatter files a file's "Parsing error: …" there, with the
    // file's location): an error or warning about a file is an issue like a result.
    for (const invV of Array.isArray(run.invocations) ? (run.invocations as unknown[]) : []) {
      const inv = obj(invV);
      const notes = [...(Array.isArray(inv?.toolExecutionNotifications) ? (inv!.toolExecutionNotifications as unknown[]) : []),
                     ...(Array.isArray(inv?.toolConfigurationNotifications) ? (inv!.toolConfigurationNotifications as unknown[]) : [])];
      for (const nV of notes) {
        const n = obj(nV);
        const level = typeof n?.level === "string" ? n.level : "warning";
        const severity = Object.hasOwn(LEVELS, level) ? LEVELS[level] : undefined;
        if (!n || !severity) continue;
        const loc = obj(obj((n.locations as unknown[] | undefined)?.[0])?.physicalLocation);
        let art = obj(loc?.artifactLocation);
        if (typeof art?.uri !== "string" && typeof art?.index === "number") art = obj(obj(artifacts[art.index])?.location) ?? art;
        const text = obj(n.message)?.text;
        if (typeof art?.uri !== "string" || typeof text !== "string" || !text) continue; // (about the run, not a file)
        issues.push({
          path: prefixed(meta.path_prefix, placePath(art.uri, roots) || "unknown-location"),
          severity,
          message: placeMessagePaths(capMessage(text), roots),
          category: typeof obj(n.descriptor)?.id === "string" ? String(obj(n.descriptor)!.id) : null,
        });
      }
    }
  });
  return applyMeta({ issues }, meta);
}

/** Whether a parsed JSON document looks like a SARIF log rather than a native report. */
export function looksLikeSarif(doc: unknown): boolean {
  const root = obj(doc);
  return !!root && Array.isArray(root.runs) && (typeof root.version === "string" || typeof root.$schema === "string");
}
