// The native report model (SPEC section 4) shared by every converter.

export interface ReportIssue {
  path: string;
  severity: string;
  message: string;
  category?: string | null;
  count?: number;
}

export interface ReportBuild {
  id?: string;
  status?: string;
  covered_paths?: string[];
}

export interface Report {
  project?: string;
  stream?: string;
  changelist?: number | string;
  submitted_at?: string;
  author?: string;
  description?: string;
  build?: ReportBuild;
  issues?: ReportIssue[];
  [extra: string]: unknown;
}

/** Report fields given outside the body (query parameters or X-Buildledger-* headers). */
export interface ReportMeta {
  project?: string;
  stream?: string;
  changelist?: string;
  build_id?: string;
  build_status?: string;
  covered_paths?: string[];
  submitted_at?: string;
  author?: string;
  description?: string;
  /** Prepended to every issue path of SARIF and log reports (e.g. "eu-build-01/atlas"). */
  path_prefix?: string;
  /** Build roots stripped from absolute file paths of SARIF and log reports (longest match wins). */
  source_roots?: string[];
}

/** Fills the fields a report lacks from meta; the body wins where both are given. */
export function applyMeta(report: Report, meta: ReportMeta): Report {
  const r: Report = { ...report };
  if (r.project === undefined && meta.project) r.project = meta.project;
  if (r.stream === undefined && meta.stream) r.stream = meta.stream;
  if (r.changelist === undefined && meta.changelist) r.changelist = meta.changelist;
  if (r.submitted_at === undefined && meta.submitted_at) r.submitted_at = meta.submitted_at;
  if (r.author === undefined && meta.author) r.author = meta.author;
  if (r.description === undefined && meta.description) r.description = meta.description;
  if (meta.build_id || meta.build_status || meta.covered_paths) {
    const b: ReportBuild = { ...(typeof r.build === "object" && r.build ? r.build : {}) };
    if (b.id === undefined && meta.build_id) b.id = meta.build_id;
    if (b.status === undefined && meta.build_status) b.status = meta.build_status;
    if (b.covered_paths === undefined && meta.covered_paths) b.covered_paths = meta.covered_paths;
    r.build = b;
  }
  return r;
}

export { placePath, prefixed } from "./paths.js";
