import { fileURLToPath } from "node:url";

/** Where the build writes the editor schema (tools/build-editor-schema.mjs); shipped in the package. */
export const EDITOR_SCHEMA_FILE = fileURLToPath(new URL("../../dist/deploy.schema.json", import.meta.url));
