// A straightforward reference model of SPEC section 3, written independently of the
// SQL: given the final set of snapshots (with receive order), compute intervals,
// metrics, open-at and diff by brute force.

export interface RefIssue { path: string; message: string }
export interface RefSnapshot {
  cl: number;
  buildId: string;
  covered: string[] | null; // null = everything
  issues: RefIssue[];
  seq: number; // receive order (higher = later)
}
export interface RefInterval { key: string; start: number; last: number; resolved: number | null }

export const issueKey = (i: RefIssue) => `${i.path}|${i.message}`;

export function covers(covered: string[] | null, path: string): boolean {
  return covered === null || covered.some((c) => path === c || path.startsWith(c + "/"));
}

export function referenceIntervals(snaps: RefSnapshot[]): RefInterval[] {
  const keys = new Map<string, RefIssue>();
  for (const s of snaps) for (const i of s.issues) keys.set(issueKey(i), i);
  const cls = [...new Set(snaps.map((s) => s.cl))].sort((a, b) => a - b);
  const out: RefInterval[] = [];
  for (const [key, issue] of keys) {
    // S(P) and presence
    const seq: { cl: number; present: boolean }[] = [];
    for (const cl of cls) {
      const covering = snaps.filter((s) => s.cl === cl && covers(s.covered, issue.path));
      if (covering.length === 0) continue;
      const latest = covering.reduce((a, b) => (b.seq > a.seq ? b : a));
      seq.push({ cl, present: latest.issues.some((i) => issueKey(i) === key) });
    }
    let cur: RefInterval | null = null;
    for (const e of seq) {
      if (e.present) {
        if (cur) cur.last = e.cl;
        else cur = { key, start: e.cl, last: e.cl, resolved: null };
      } else if (cur) {
        cur.resolved = e.cl;
        out.push(cur);
        cur = null;
      }
    }
    if (cur) out.push(cur);
  }
  return out.sort(cmpInterval);
}

export function cmpInterval(a: RefInterval, b: RefInterval): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start;
}

export const openAt = (ivs: RefInterval[], c: number) =>
  ivs.filter((i) => i.start <= c && (i.resolved === null || i.resolved > c)).map((i) => i.key).sort();

export function referenceMetrics(snaps: RefSnapshot[], ivs: RefInterval[]) {
  const cls = [...new Set(snaps.map((s) => s.cl))].sort((a, b) => a - b);
  return cls.map((cl) => ({
    cl,
    total: openAt(ivs, cl).length,
    new: ivs.filter((i) => i.start === cl).length,
    resolved: ivs.filter((i) => i.resolved === cl).length,
  }));
}

export function referenceDiff(ivs: RefInterval[], a: number, b: number): string[] {
  const A = new Set(openAt(ivs, a));
  const B = new Set(openAt(ivs, b));
  const out: string[] = [];
  for (const k of new Set([...A, ...B])) {
    out.push(`${k}:${A.has(k) && B.has(k) ? "unchanged" : B.has(k) ? "new" : "resolved"}`);
  }
  return out.sort();
}
