#!/usr/bin/env node
// Reads mrsk's NDJSON events on stdin (the GitHub Action runs mrsk with --json), prints them as
// readable lines for the job log, and appends a summary table to $GITHUB_STEP_SUMMARY when set:
// one row per host and role from mrsk's `summary` event, else one row per host from its errors.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const title = process.argv[2] ?? "mrsk";
const hosts = new Set();
const errors = new Map();
let summary;
let done;

const prefix = (host) => (host === undefined ? "" : `[${host}] `);
const print = (host, text) => {
  for (const line of String(text).replace(/\n$/, "").split("\n")) process.stdout.write(`${prefix(host)}${line}\n`);
};

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let event;
  try {
    event = JSON.parse(line);
  } catch {
    process.stdout.write(`${line}\n`);
    continue;
  }
  if (typeof event.host === "string") hosts.add(event.host);
  switch (event.type) {
    case "phase":
      print(undefined, `* ${event.title}`);
      break;
    case "info":
      print(event.host, event.message);
      break;
    case "result":
      print(event.host, event.label === undefined ? event.text : `${event.label}\n${event.text}`);
      break;
    case "warn":
      print(event.host, `WARNING ${event.message}`);
      process.stdout.write(`::warning::${escapeCommand(event.message)}\n`);
      break;
    case "error":
      print(event.host, `ERROR ${event.message}${event.hint === undefined ? "" : `\n  hint: ${event.hint}`}`);
      process.stdout.write(`::error::${escapeCommand(`${prefix(event.host)}${event.message}`)}\n`);
      errors.set(event.host ?? "", [...(errors.get(event.host ?? "") ?? []), event.message]);
      break;
    case "summary":
      summary = event;
      break;
    case "done":
      done = event;
      print(undefined, `${event.ok ? "Finished" : "Failed"} all in ${(event.durationMs / 1000).toFixed(1)}s`);
      break;
  }
}

if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown());

function markdown() {
  const failed = errors.size > 0 || done?.ok === false;
  const outcome = failed ? "failed" : done === undefined ? "finished" : `succeeded in ${(done.durationMs / 1000).toFixed(1)} s`;
  const out = [`### ${title}: ${outcome}`, ""];
  if (summary !== undefined) {
    out.push("| host | role | version | time to healthy | result |", "| --- | --- | --- | --- | --- |");
    for (const row of summary.rows) {
      const version = row.previous === undefined ? `${row.version}` : `${row.previous} → ${row.version}`;
      const healthy = row.healthyMs === undefined ? "" : `${(row.healthyMs / 1000).toFixed(1)} s`;
      out.push(`| ${cell(row.host)} | ${cell(row.role)} | ${cell(version)} | ${healthy} | ${cell(row.result)} |`);
    }
  } else if (hosts.size > 0) {
    out.push("| host | result |", "| --- | --- |");
    for (const host of hosts) out.push(`| ${cell(host)} | ${errors.has(host) ? `failed: ${cell(firstLine(errors.get(host)[0]))}` : "ok"} |`);
  }
  const general = errors.get("") ?? [];
  if (general.length > 0) out.push("", ...general.map((message) => `> ${firstLine(message)}`));
  return `${out.join("\n")}\n\n`;
}

function firstLine(text) {
  return String(text).split("\n")[0];
}

function cell(text) {
  return String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** GitHub workflow commands end at a newline; %, CR and LF are escaped as the runner expects. */
function escapeCommand(text) {
  return String(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
