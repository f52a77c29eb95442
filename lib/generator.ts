// The synthetic studio: a deterministic (seeded) history of build reports that
// looks like a game studio's farm. Everything derives from the seed; nothing reads
// the clock, so the same options give byte-identical reports.
//
// Per project: a hierarchy server/project/team/…/asset (depth 4 to `depth`), teams
// with skewed ownership, and issues with lifecycles (long-lived warnings, errors fixed
// within a few CLs, recurring issues, flaky issues, bursts from one bad CL). Messages
// come from templates carrying the noise the normaliser removes (line numbers, hex
// addresses, timestamps, durations, GUIDs), re-rolled in every build, so one issue
// hashes equal across builds. Builds: CL gaps, CL metadata, rebuilds, sharded and
// partial builds with coverage, failed builds that cover nothing, identical
// re-posts, and arrival out of CL order.
import type { Report, ReportIssue } from "./formats/types.js";

export interface GeneratorOptions {
  seed: number;
  projects: number;
  builds: number;
  issuesPerBuild: number;
  /** Deepest path (segments, including server/project/team and the asset): 4..32, default 8. */
  depth: number;
}

export const DEFAULT_GENERATOR: GeneratorOptions = { seed: 42, projects: 2, builds: 120, issuesPerBuild: 400, depth: 8 };

export interface GeneratedReport {
  kind: "build" | "rebuild" | "shard" | "partial" | "failed" | "repost";
  project: string;
  changelist: number;
  /** Builds the report (deterministic; called lazily so that studio-scale histories stream). */
  make: () => Report;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
    weighted: <T>(xs: readonly T[], w: readonly number[]) => {
      const total = w.reduce((s, x) => s + x, 0);
      let r = next() * total;
      for (let i = 0; i < xs.length; i++) if ((r -= w[i]) < 0) return xs[i];
      return xs[xs.length - 1];
    },
    hex: (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join(""),
  };
}
type Rng = ReturnType<typeof rng>;

const PROJECT_NAMES = ["atlas", "borealis", "cinder", "dune", "ember", "fjord", "glacier", "harbor", "ion", "jade"];
const SERVERS = ["eu-build-01", "us-build-02", "ap-build-03"];
const TEAMS = ["rendering", "environment", "characters", "gameplay", "audio", "ui", "animation", "network", "tools", "cinematics"];
const TEAM_WEIGHT = [9, 8, 6, 5, 4, 3, 3, 2, 1, 1];            // ownership skew: rendering owns the noise
const FOLDERS: Record<string, string[]> = {
  rendering: ["shaders", "materials", "postprocess", "lighting", "decals", "water", "sky"],
  environment: ["props", "foliage", "terrain", "rocks", "buildings", "ruins", "caves"],
  characters: ["hero", "npc", "creatures", "outfits", "faces", "rigs"],
  gameplay: ["abilities", "weapons", "pickups", "ai", "quests", "vehicles"],
  audio: ["ui", "ambience", "music", "foley", "dialogue", "weapons"],
  ui: ["hud", "menus", "widgets", "fonts", "icons"],
  animation: ["locomotion", "combat", "emotes", "montages", "retarget"],
  network: ["replication", "sessions", "voice", "matchmaking"],
  tools: ["editor", "pipeline", "validators", "importers"],
  cinematics: ["intro", "chapter1", "chapter2", "credits"],
};
const SUB = ["common", "shared", "lod", "variants", "legacy", "wip", "hi", "mobile", "desert", "forest", "snow", "city", "interior"];
const WORDS = ["Crate", "Door", "Rock", "Tree", "Hero", "Wolf", "Torch", "Banner", "Bridge", "Crystal", "Shield", "Sword",
  "Cliff", "Barrel", "Lantern", "Gate", "Statue", "Cart", "Fence", "Ruin", "Drone", "Turret", "Cape", "Helmet"];
const AUTHORS = ["jdoe", "akim", "mrossi", "lchen", "spatel", "tnguyen", "ebrown", "ofarah", "ksato", "bmueller", "rgarcia", "ynakamura"];
const VERBS = ["Fix", "Add", "Tune", "Rework", "Optimise", "Clean up", "Hook up", "Revert", "Integrate", "Polish"];

type Kind = "shader" | "audio" | "assetref" | "texture" | "mesh" | "blueprint" | "cppwarn" | "cpperror" | "cook";
const KIND_BY_TEAM: Record<string, Kind[]> = {
  rendering: ["shader", "shader", "texture", "cppwarn"], environment: ["texture", "mesh", "assetref", "cook"],
  characters: ["mesh", "texture", "assetref"], gameplay: ["blueprint", "cppwarn", "cpperror", "assetref"],
  audio: ["audio", "audio", "assetref"], ui: ["blueprint", "texture", "audio"], animation: ["assetref", "mesh", "blueprint"],
  network: ["cppwarn", "cpperror"], tools: ["cppwarn", "cpperror", "cook"], cinematics: ["cook", "assetref", "audio"],
};
const EXT: Record<Kind, string> = { shader: "usf", audio: "wav", assetref: "uasset", texture: "uasset", mesh: "uasset",
  blueprint: "uasset", cppwarn: "cpp", cpperror: "cpp", cook: "umap" };
const PREFIX: Record<Kind, string> = { shader: "", audio: "SC_", assetref: "BP_", texture: "T_", mesh: "SM_", blueprint: "BP_",
  cppwarn: "", cpperror: "", cook: "L_" };

interface Spec {
  path: string; kind: Kind; severity: string; category: string;
  /** Renders the message with fresh noise for one build. */
  render: (r: Rng, clIndex: number) => string;
  /** Whether it is present at build index b (only asked within [from, to)). */
  present: (b: number) => boolean;
  from: number;
  to: number;
  team: string;
  /** Which lifecycle made it (the ground truth for flakiness and recurrence checks). */
  lifecycle: Lifecycle;
}

export type Lifecycle = "long-lived" | "short-lived" | "recurring" | "flaky" | "burst";

const isoTs = (r: Rng) => `2026-${String(r.int(9, 11)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}T${String(r.int(0, 23)).padStart(2, "0")}:${String(r.int(0, 59)).padStart(2, "0")}:${String(r.int(0, 59)).padStart(2, "0")}Z`;
const guid = (r: Rng) => `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`.toUpperCase();

function makeSpec(r: Rng, id: number, server: string, project: string, depth: number, teamOverride?: string): Omit<Spec, "present" | "from" | "to" | "lifecycle"> {
  const team = teamOverride ?? r.weighted(TEAMS, TEAM_WEIGHT);
  const kind = r.pick(KIND_BY_TEAM[team]);
  const levels = r.int(4, Math.max(4, depth));                 // total segments
  const folders = [r.pick(FOLDERS[team])];
  while (folders.length < levels - 4) folders.push(r.pick(SUB));
  const word = `${r.pick(WORDS)}${r.pick(WORDS)}`;
  const base = `${PREFIX[kind]}${word}_${String(id % 100).padStart(2, "0")}`;
  const file = `${base}.${EXT[kind]}`;
  const path = [server, project, team, ...folders.slice(0, levels - 4), file].join("/");
  const ident = `${r.pick(["Foam", "Wet", "Snow", "Rim", "Detail", "Wind"])}${r.pick(["Mask", "Factor", "Bias", "Tint"])}`;
  const cue = `${team.toUpperCase()}_${r.pick(WORDS)}_${String(r.int(1, 12)).padStart(2, "0")}`;
  const n = r.int(2, 40), w = r.pick([2048, 4096, 8192]);
  const variable = `b${r.pick(WORDS)}${r.pick(["Active", "Locked", "Ready", "Visible"])}`;
  const sev = (p: number) => (r.chance(p) ? "error" : "warning");
  const table: Record<Kind, { severity: string; category: string; render: (x: Rng) => string }> = {
    shader: { severity: "error", category: "shader",
      render: (x) => `Shader compile failed: ${base}.usf(${x.int(10, 900)}): error X3004: undeclared identifier '${ident}'` },
    audio: { severity: sev(0.4), category: "audio",
      render: (x) => `Missing audio cue '${cue}' referenced by /Game/${team}/${word} at 0x${x.hex(12)}` },
    assetref: { severity: sev(0.3), category: "asset",
      render: (x) => `Failed to load '/Game/${team}/${folders[0]}/${word}': Can't find file (took ${x.int(1, 90) / 10}s)` },
    texture: { severity: "warning", category: "texture",
      render: (x) => `Texture import: ${base}.tga is ${w}x${w}, exceeds streaming budget (took ${x.int(5, 900)} ms)` },
    mesh: { severity: "warning", category: "mesh",
      render: (x) => `Mesh ${base} has ${n} degenerate triangles (checked at ${isoTs(x)})` },
    blueprint: { severity: "error", category: "blueprint",
      render: (x) => `Blueprint compile error in ${base}: node ${blueprintNode} references missing variable ${variable} (GUID ${guid(x)})` },
    cppwarn: { severity: "warning", category: "compiler",
      render: (x) => `${word}.cpp(${x.int(20, 2000)}): warning C4244: 'argument': conversion from 'double' to 'float', possible loss of data` },
    cpperror: { severity: "error", category: "compiler",
      render: (x) => `${word}.cpp:${x.int(20, 2000)}:${x.int(1, 80)}: error: use of undeclared identifier '${ident}'` },
    cook: { severity: "error", category: "cook",
      render: (x) => `Package /Game/Maps/${word} failed to cook at ${isoTs(x)}: missing dependency ${guid(x)}` },
  };
  // picked after the table (renders run later), keeping the seed's sequence of draws
  const blueprintNode = r.pick(["OpenDoor", "Spawn", "Equip", "Fire"]);
  const t = table[kind];
  return { path, kind, severity: t.severity, category: t.category, render: t.render, team };
}

interface ProjectHistory { project: string; server: string; reports: GeneratedReport[]; specs: Spec[] }

function projectHistory(opts: GeneratorOptions, pIndex: number): ProjectHistory {
  const r = rng(opts.seed * 7919 + pIndex * 104729 + 1);
  const project = PROJECT_NAMES[pIndex % PROJECT_NAMES.length] + (pIndex >= PROJECT_NAMES.length ? `${Math.floor(pIndex / PROJECT_NAMES.length) + 1}` : "");
  const server = SERVERS[pIndex % SERVERS.length];
  const B = opts.builds, I = opts.issuesPerBuild;
  const specs: Spec[] = [];
  let id = 0;
  const add = (lifecycle: Lifecycle, from: number, to: number, present: Spec["present"], team?: string) =>
    specs.push({ ...makeSpec(r, id++, server, project, opts.depth, team), present, from, to, lifecycle });

  // long-lived: most of what is open at any time (about 75% of them are alive in a given build)
  for (let i = 0; i < Math.round(I * 1.2); i++) {
    const start = r.chance(0.6) ? 0 : r.int(0, Math.floor(B * 0.6));
    const end = r.chance(0.5) ? B : r.int(Math.min(B, start + Math.floor(B * 0.3)), B);
    add("long-lived", start, end, () => true);
  }
  // short-lived errors fixed within 1-4 builds: the churn (about 3% of I per build)
  for (let b0 = 0; b0 < B; b0++) {
    const churn = Math.round(I * 0.03 * (0.2 + 1.6 * r.next()));   // quiet and busy days
    for (let i = 0; i < churn; i++) {
      const len = r.int(1, 4);
      add("short-lived", b0, b0 + len, () => true);
    }
  }
  // recurring: two or three episodes
  for (let i = 0; i < Math.max(2, Math.round(I * 0.05)); i++) {
    const eps: [number, number][] = [];
    let at = r.int(0, Math.floor(B / 3));
    for (let e = r.int(2, 3); e > 0 && at < B; e--) {
      const len = r.int(2, Math.max(2, Math.floor(B / 8)));
      eps.push([at, at + len]);
      at += len + r.int(2, Math.max(2, Math.floor(B / 6)));
    }
    add("recurring", eps[0][0], eps[eps.length - 1][1], (b) => eps.some(([s, e]) => b >= s && b < e));
  }
  // flaky: present in about half the builds of their span
  for (let i = 0; i < Math.max(2, Math.round(I * 0.03)); i++) {
    const s = r.int(0, Math.floor(B / 2)), e = r.int(s + Math.floor(B / 4), B);
    const salt = r.int(1, 1 << 30);
    add("flaky", s, e, (b) => rng(salt + b).chance(0.5));
  }
  // bursts: a bad CL in one team breaks many assets at once, fixed 1-3 builds later
  for (let b0 = r.int(5, 15); b0 < B; b0 += r.int(12, 25)) {
    const team = r.weighted(TEAMS, TEAM_WEIGHT), len = r.int(1, 3);
    for (let i = 0; i < Math.max(3, Math.round(I * 0.08)); i++) add("burst", b0, b0 + len, () => true, team);
  }

  // builds
  const reports: GeneratedReport[] = [];
  let cl = 10000 + pIndex * 5000 + r.int(0, 40);
  let time = Date.UTC(2026, 8, 1, 8, 0, 0) + pIndex * 3_600_000;
  const teamsOf = [...new Set(specs.map((s) => s.team))].sort();
  for (let b = 0; b < B; b++) {
    cl += r.chance(0.3) ? r.int(2, 6) : 1;                      // gaps: not every CL gets built
    time += r.int(20, 240) * 60_000;
    const author = r.pick(AUTHORS);
    const meta = { project, stream: "main", changelist: cl, submitted_at: new Date(time).toISOString(), author,
                   description: `${r.pick(VERBS)} ${r.pick(WORDS).toLowerCase()} ${r.pick(["streaming", "LODs", "collision", "VFX", "audio mix", "replication", "UI flow", "cook rules"])}` };
    const bi = b;
    const issuesAt = (filter: (s: Spec) => boolean, seed: number) => (): ReportIssue[] => {
      const roll = rng(seed);
      const out: ReportIssue[] = [];
      for (const s of specs) {
        if (bi < s.from || bi >= s.to || !s.present(bi) || !filter(s)) continue;
        out.push({ path: s.path, severity: s.severity, category: s.category, message: s.render(roll, bi),
                   ...(roll.chance(0.1) ? { count: roll.int(2, 5) } : {}) });
      }
      return out;
    };
    const roll = opts.seed * 31 + pIndex * 131 + b * 7 + 3;
    const plan = (kind: GeneratedReport["kind"], build: Report["build"], issues: () => ReportIssue[]): GeneratedReport =>
      ({ kind, project, changelist: cl, make: () => ({ ...meta, build, issues: issues() }) });
    const style = b === 0 ? "full" : r.weighted(["full", "sharded", "partial", "failed"], [85, 8, 5, 2]);
    if (style === "sharded") {
      const half = teamsOf.filter((_, i) => i % 2 === 0);
      const other = teamsOf.filter((_, i) => i % 2 === 1);
      for (const [k, part] of [half, other].entries()) {
        const cov = part.map((t) => `${server}/${project}/${t}`);
        reports.push(plan("shard", { id: `ci-${cl}-shard${k + 1}`, status: "complete", covered_paths: cov },
          issuesAt((s) => part.includes(s.team), roll)));
      }
    } else if (style === "partial") {
      const part = teamsOf.filter(() => r.chance(0.4)).slice(0, 3);
      const cov = (part.length ? part : [teamsOf[0]]).map((t) => `${server}/${project}/${t}`);
      reports.push(plan("partial", { id: `ci-${cl}`, status: "partial", covered_paths: cov },
        issuesAt((s) => cov.some((c) => s.path.startsWith(c + "/")), roll)));
    } else if (style === "failed") {
      reports.push(plan("failed", { id: `ci-${cl}`, status: "failed", covered_paths: [] }, () => []));
    } else {
      reports.push(plan("build", { id: `ci-${cl}`, status: "complete" }, issuesAt(() => true, roll)));
      if (r.chance(0.05)) {                                     // a rebuild of the same CL (flaky issues may differ)
        reports.push(plan("rebuild", { id: `ci-${cl}-rerun`, status: "complete" },
          issuesAt(() => true, opts.seed * 37 + pIndex * 137 + b * 11 + 5)));
      }
    }
    if (r.chance(0.03)) reports.push({ ...reports[reports.length - 1], kind: "repost" });
  }
  // arrival order: builds finish out of order now and then (a neighbour swap)
  for (let i = 1; i < reports.length; i++) {
    if (r.chance(0.08) && reports[i].changelist !== reports[i - 1].changelist) {
      [reports[i - 1], reports[i]] = [reports[i], reports[i - 1]];
      i++;
    }
  }
  return { project, server, reports, specs };
}

/** The whole studio, in arrival order (projects interleaved build by build). */
export function generateStudio(opts: Partial<GeneratorOptions> = {}): GeneratedReport[] {
  const o = { ...DEFAULT_GENERATOR, ...opts };
  if (o.depth < 4 || o.depth > 32) throw new Error(`--depth: expected 4 to 32, got ${o.depth}`);
  if (o.projects < 1 || o.builds < 1 || o.issuesPerBuild < 1) throw new Error("--projects, --builds and --issues-per-build must be positive");
  const histories = Array.from({ length: o.projects }, (_, p) => projectHistory(o, p));
  const out: GeneratedReport[] = [];
  const longest = Math.max(...histories.map((h) => h.reports.length));
  for (let i = 0; i < longest; i++) for (const h of histories) if (i < h.reports.length) out.push(h.reports[i]);
  return out;
}

export function projectNames(n: number): string[] {
  return Array.from({ length: n }, (_, p) => PROJECT_NAMES[p % PROJECT_NAMES.length] + (p >= PROJECT_NAMES.length ? `${Math.floor(p / PROJECT_NAMES.length) + 1}` : ""));
}

/** The lifecycle of every generated issue, by project and path (ground truth for tests). */
export function studioLifecycles(opts: Partial<GeneratorOptions> = {}): { project: string; path: string; lifecycle: Lifecycle }[] {
  const o = { ...DEFAULT_GENERATOR, ...opts };
  return Array.from({ length: o.projects }, (_, p) => projectHistory(o, p))
    .flatMap((h) => h.specs.map((s) => ({ project: h.project, path: s.path, lifecycle: s.lifecycle })));
}
