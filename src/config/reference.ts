// The configuration reference, read from docs/configuration.md (shipped with the package): the one
// source for `mrsk docs`, the descriptions of the editor schema and the section named by hints.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ReferenceSection {
  /** Names that select it: `builder`; `ssh` and `sshkit`; `secrets`. */
  readonly names: readonly string[];
  readonly title: string;
  /** The section's markdown, heading included. */
  readonly text: string;
}

export const REFERENCE_FILE = fileURLToPath(new URL("../../docs/configuration.md", import.meta.url));

/** Kamal's `kamal docs` names, where ours differ. */
const KAMAL_NAMES: Record<string, string> = {
  accessory: "accessories",
  role: "servers",
  roles: "servers",
  alias: "configuration",
  aliases: "configuration",
  logging: "configuration",
};

/** Splits the reference at its `##` and `###` headings; the key reference's subsections are named by their keys. */
export function parseReference(markdown: string): ReferenceSection[] {
  const sections: ReferenceSection[] = [];
  const lines = markdown.split("\n");
  let start = -1;
  const close = (end: number): void => {
    if (start < 0) return;
    const title = lines[start]!.replace(/^#+\s*/, "");
    const text = lines.slice(start, end).join("\n").trimEnd();
    const names = sectionNames(title);
    // A `##` heading directly followed by `###` subsections (the key reference) has no body of its own.
    if (names.length > 0) sections.push({ names, title, text });
  };
  for (const [index, line] of lines.entries()) {
    if (/^#{2,3} /.test(line)) {
      close(index);
      start = index;
    }
  }
  close(lines.length);
  return sections;
}

/**
 * `5.5 \`builder\`` → builder; `5.10 \`ssh\` and \`sshkit\`` → ssh, sshkit; `4. YAML as Ruby reads
 * it` → yaml-as-ruby-reads-it, yaml; `5.1 Top level` → configuration (Kamal's name for it).
 */
function sectionNames(title: string): string[] {
  const keys = [...title.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
  if (keys.length > 0) return keys;
  const words = title.replace(/^[\d.]+\s*/, "").toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== "");
  const slug = words.join("-");
  if (slug === "top-level") return ["configuration", slug];
  if (slug === "key-reference") return [];
  const short = words[0] === "the" ? words.at(-1) : words[0];
  return short === undefined || short === slug ? [slug] : [slug, short];
}

let cached: ReferenceSection[] | undefined;

export function referenceSections(): ReferenceSection[] {
  cached ??= parseReference(readFileSync(REFERENCE_FILE, "utf8"));
  return cached;
}

/** The section for a name, a Kamal docs name, or a key path's first segment; undefined when none. */
export function findSection(sections: readonly ReferenceSection[], name: string): ReferenceSection | undefined {
  const wanted = name.trim().toLowerCase();
  const canonical = KAMAL_NAMES[wanted] ?? wanted;
  return sections.find((s) => s.names.includes(canonical)) ?? sections.find((s) => s.names.includes(wanted));
}

/** The `mrsk docs` section that documents a configuration key path (`builder.cache.type` → builder). */
export function sectionForKeyPath(sections: readonly ReferenceSection[], keyPath: string): string | undefined {
  const top = keyPath.split(/[.[]/)[0] ?? "";
  if (top === "") return undefined;
  const section = findSection(sections, top);
  if (section !== undefined) return section.names.includes(top) ? top : section.names[0];
  return findSection(sections, "configuration")?.names[0];
}
