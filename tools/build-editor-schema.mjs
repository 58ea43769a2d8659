#!/usr/bin/env node
// Build step after tsc: writes dist/deploy.schema.json, the editor schema of config/deploy.yml
// (see src/config/editor-schema.ts), printed by `mrsk schema`.
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const { editorSchema } = await import(new URL("dist/config/editor-schema.js", root).href);
const { EDITOR_SCHEMA_FILE } = await import(new URL("dist/config/editor-schema-file.js", root).href);
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const reference = readFileSync(new URL("docs/configuration.md", root), "utf8");
writeFileSync(EDITOR_SCHEMA_FILE, `${JSON.stringify(editorSchema(reference, version), null, 2)}\n`);
