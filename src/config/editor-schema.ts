// The JSON Schema of deploy.yml for editors (yaml-language-server), generated at build time by
// zod's own generator from the input shapes the configuration schema records (schema-values.ts),
// with the key descriptions of docs/configuration.md. Both eras share it: unknown keys are
// flagged, as Kamal 2 does (MRSK 0.13 ignored them; mrsk warns).
import { z } from "zod";
import { configSchema } from "./schema-sections.js";
import { inputShape } from "./schema-values.js";
import { parseReference, type ReferenceSection } from "./reference.js";

type JsonSchema = Record<string, unknown>;

export function editorSchema(referenceMarkdown: string, toolVersion: string): JsonSchema {
  const generated = z.toJSONSchema(inputShape(configSchema), { target: "draft-7", unrepresentable: "any", io: "input" }) as JsonSchema;
  const schema: JsonSchema = {
    ...generated,
    $id: `mrsk-deploy-${toolVersion}.schema.json`,
    title: "mrsk config/deploy.yml",
    // Top-level keys starting with `x-` hold YAML anchors and are ignored.
    patternProperties: { "^x-": {} },
  };
  describeKeys(schema, parseReference(referenceMarkdown));
  return schema;
}

/**
 * Gives each key the description of its row in the key reference (`| \`key\` | … | what mrsk does |`):
 * top-level keys from the top-level table, a section's keys from that section's table.
 */
function describeKeys(root: JsonSchema, sections: readonly ReferenceSection[]): void {
  const rootProperties = root.properties as Record<string, JsonSchema>;
  for (const section of sections) {
    const rows = tableRows(section.text);
    if (section.names.includes("configuration")) {
      for (const [key, text] of rows) if (rootProperties[key] !== undefined) setDescription(rootProperties[key], text);
      continue;
    }
    for (const [key, text] of rows) {
      const [head, ...rest] = key.split(".");
      // `ssh.user` rows name their section; other rows are keys of the section they sit in.
      const sectionKey = rest.length > 0 && section.names.includes(head!) ? head! : section.names[0]!;
      const property = rest.length > 0 && section.names.includes(head!) ? rest.join(".") : key;
      const owner = rootProperties[sectionKey];
      const target = owner === undefined ? undefined : findProperty(owner, property);
      if (target !== undefined) setDescription(target, text);
    }
  }
}

/** Key → the last cell of its row, for every table row whose first cell names keys in backticks. */
function tableRows(markdown: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const text = plain(cells.at(-1) ?? "");
    if (cells.length < 2 || text === "") continue;
    for (const match of cells[0]!.matchAll(/`([a-z_.]+)`/g)) rows.push([match[1]!, text]);
  }
  return rows;
}

function plain(markdown: string): string {
  return markdown.replace(/\*\*/g, "").replace(/\\\|/g, "|");
}

/** The schema of `key` inside `schema`, looking through unions, lists and maps of it. */
function findProperty(schema: JsonSchema, key: string): JsonSchema | undefined {
  const queue: JsonSchema[] = [schema];
  for (let seen = 0; queue.length > 0 && seen < 50; seen++) {
    const next = queue.shift()!;
    const properties = next.properties as Record<string, JsonSchema> | undefined;
    if (properties?.[key] !== undefined) return properties[key];
    for (const branch of ["anyOf", "oneOf"] as const) queue.push(...((next[branch] as JsonSchema[] | undefined) ?? []));
    if (typeof next.items === "object" && next.items !== null && !Array.isArray(next.items)) queue.push(next.items as JsonSchema);
    if (typeof next.additionalProperties === "object" && next.additionalProperties !== null) queue.push(next.additionalProperties as JsonSchema);
  }
  return undefined;
}

function setDescription(schema: JsonSchema, text: string): void {
  schema.description = schema.description === undefined ? text : `${text} (${String(schema.description)})`;
}
