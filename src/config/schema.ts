// Validates the merged deploy.yml document (base + destination overlay, ERB rendered, YAML
// parsed) against the schema of both eras and reports every problem at once.
//
// Era policy: MRSK 0.13 ignored keys it did not know and real MRSK configs rely on that, so in
// the "mrsk" era unknown keys are warnings; Kamal 2 rejects them, so in the "kamal" era they are
// errors. Everything else (wrong types, the checks in schema-checks.ts) is an error in both.
import type { ConfigIssue } from "../errors.js";
import { checkShape, type Finding } from "./schema-checks.js";
import type { Era } from "./schema-era.js";
import { configSchema, type RawConfig } from "./schema-sections.js";
import { unknownKeyHint } from "./schema-suggest.js";
import { describe, type IssueParams, isPlainObject } from "./schema-values.js";

export { detectEra, kamalSignals, type Era } from "./schema-era.js";
export type {
  RawAccessory,
  RawBuilder,
  RawConfig,
  RawDockerOptions,
  RawEnv,
  RawHealthcheck,
  RawHost,
  RawProxy,
  RawRegistry,
  RawRole,
  RawTraefik,
} from "./schema-sections.js";

export interface ShapeOptions {
  readonly era: Era;
  /** The file a key path's value came from (base file or destination overlay). */
  readonly fileOf: (path: string) => string;
}

export interface ShapeResult {
  /** The document with scalars coerced and unknown keys dropped; only meaningful when `issues` is empty. */
  readonly config: RawConfig;
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigIssue[];
}

type PathSegment = PropertyKey;

export function validateShape(doc: unknown, options: ShapeOptions): ShapeResult {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const toIssue = (finding: Finding): ConfigIssue => ({
    file: options.fileOf(finding.path),
    path: finding.path,
    message: finding.message,
    ...(finding.hint === undefined ? {} : { hint: finding.hint }),
  });

  if (!isPlainObject(doc)) {
    const message =
      doc === null || doc === undefined ? "the configuration is empty" : `should be a mapping of settings, got ${describe(doc)}`;
    return { config: {} as RawConfig, issues: [toIssue({ path: "", message })], warnings };
  }

  const parsed = configSchema.safeParse(doc);
  let config = parsed.success ? parsed.data : undefined;
  const unknownKeyPaths: PathSegment[][] = [];
  let schemaErrors = 0;
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const params = (issue.code === "custom" ? issue.params : undefined) as IssueParams | undefined;
    const path = formatPath(issue.path);
    if (params?.unknownKey === undefined) {
      schemaErrors++;
      issues.push(toIssue({ path, message: issue.message, ...(params?.hint === undefined ? {} : { hint: params.hint }) }));
      continue;
    }
    unknownKeyPaths.push([...issue.path]);
    const key = String(issue.path.at(-1));
    const hint = unknownKeyHint(key, path, params.unknownKey);
    if (options.era === "kamal") issues.push(toIssue({ path, message: `unknown key "${key}"`, hint }));
    else warnings.push(toIssue({ path, message: `unknown key "${key}" (ignored, as MRSK 0.13 did)`, hint }));
  }
  if (config === undefined && schemaErrors === 0) {
    const reparsed = configSchema.safeParse(withoutPaths(doc, unknownKeyPaths));
    if (reparsed.success) config = reparsed.data;
  }

  const checked = checkShape(doc, options.era);
  issues.push(...checked.errors.map(toIssue));
  warnings.push(...checked.warnings.map(toIssue));
  return { config: config ?? (doc as RawConfig), issues, warnings };
}

/** `["servers", "web", "hosts", 1]` → `servers.web.hosts[1]`. */
function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** A copy of `doc` without the values at `paths`; scalars (and scalar wrappers) are shared, not copied. */
function withoutPaths(doc: Record<string, unknown>, paths: readonly PathSegment[][]): Record<string, unknown> {
  const copy = copyContainers(doc) as Record<string, unknown>;
  for (const path of paths) {
    let parent: unknown = copy;
    for (const segment of path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[segment];
    if (isPlainObject(parent)) delete parent[String(path.at(-1))];
  }
  return copy;
}

function copyContainers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyContainers);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, copyContainers(inner)]));
  return value;
}
