import { closestKey } from "../config/schema-suggest.js";
import { findSection, referenceSections } from "../config/reference.js";
import { MrskError } from "../errors.js";

// `mrsk docs [SECTION]`: the configuration reference (docs/configuration.md) in the terminal.

export function docsText(name: string | undefined): string {
  const sections = referenceSections();
  if (name === undefined) {
    const rows = sections.map((s) => `  ${s.names.join(", ").padEnd(34)} ${s.title}`);
    return ["Sections of the configuration reference (mrsk docs SECTION):", ...rows].join("\n");
  }
  const section = findSection(sections, name);
  if (section !== undefined) return section.text;
  const names = sections.flatMap((s) => s.names);
  const suggestion = closestKey(name.toLowerCase(), names);
  throw new MrskError(`no section "${name}" in the configuration reference`, {
    hint: `${suggestion === undefined ? "" : `did you mean \`mrsk docs ${suggestion}\`? `}run \`mrsk docs\` for the list of sections`,
  });
}
