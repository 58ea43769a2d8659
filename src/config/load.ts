import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { applyWithoutOverride, parseDotenv } from "./dotenv.js";
import { renderErbWithLines } from "./erb.js";
import { deepMerge, isMapping, provenance } from "./merge.js";
import { Config } from "./model.js";
import { readConfigFile } from "./local-file.js";
import { parseRubyYaml } from "./ruby-yaml.js";
import { detectEra, validateShape, type Era } from "./schema.js";
import { checkDestinationName } from "./names.js";
import { loadSecrets, secretsFiles, DEFAULT_SECRETS_PATH, type Secrets } from "./secrets.js";
import { resolveVersion } from "./version.js";

// Reading a configuration: `.env` files into the environment, ERB, YAML, the destination overlay,
// the shape check, secrets, then the typed model. Every problem found is reported at once.

export const DEFAULT_CONFIG_FILE = "config/deploy.yml";

export interface LoadOptions {
  cwd: string;
  /** `-c`: the base configuration file. */
  configFile?: string | undefined;
  /** `-d`: the destination whose overlay is merged over the base file. */
  destination?: string | undefined;
  /** `--version`: the app version to act on. */
  version?: string | undefined;
  /** The environment ERB and secrets read; `.env` files are applied to it without overriding. */
  env: Record<string, string | undefined>;
  toolVersion: string;
  /**
   * Every secret value is handed to this as soon as it is read (for redaction), with its name;
   * `used` when the configuration names it, not merely a line of a `.env` or secrets file.
   */
  registerSecret?: (value: string, name: string, used: boolean) => void;
  onWarning?: (issue: ConfigIssue) => void;
  /** Sees the merged document (ERB rendered, YAML parsed, overlay merged) before it is validated. */
  onDocument?: (document: unknown) => void;
}

export function loadConfig(options: LoadOptions): Config {
  const { cwd, destination, env } = options;
  if (destination !== undefined) checkDestinationName(destination);
  const display = (path: string): string => relative(cwd, path) || path;
  const basePath = resolve(cwd, options.configFile ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(basePath)) {
    throw ConfigError.single(display(basePath), "", "configuration file not found", options.configFile === undefined ? "run `mrsk init` to create one, or pass -c PATH" : "check the path given with -c");
  }
  const overlayPath = destination === undefined ? undefined : destinationFile(basePath, destination);
  if (overlayPath !== undefined && !existsSync(overlayPath)) {
    const known = knownDestinations(basePath);
    throw ConfigError.single(
      display(overlayPath),
      "",
      `destination file not found for -d ${destination}`,
      known.length > 0 ? `destinations with a file: ${known.join(", ")}` : `create ${display(overlayPath)} with what differs for ${destination}`,
    );
  }

  loadDotenvFiles(cwd, destination, env, display, options.registerSecret);
  if (destination !== undefined) {
    env.MRSK_DESTINATION = destination;
    env.KAMAL_DESTINATION = destination;
  }

  const warnings: ConfigIssue[] = [];
  const read = (path: string): unknown => {
    const file = display(path);
    const template = readConfigFile(path, file);
    const rendered = renderErbWithLines(template, { file, env, cwd });
    const parsed = withoutErbOutput(template, () => parseRubyYaml(rendered.text, file, { sourceLine: rendered.sourceLine }));
    warnings.push(...parsed.warnings);
    // An empty file reads as false in Psych.
    if (parsed.value === null || parsed.value === undefined || parsed.value === false) return {};
    if (!isMapping(parsed.value)) throw ConfigError.single(file, "", "must be a mapping of keys (service:, image:, servers:, …)");
    return parsed.value;
  };
  const base = read(basePath);
  const overlay = overlayPath === undefined ? undefined : read(overlayPath);
  const merged = overlay === undefined ? base : deepMerge(base, overlay);
  const fileOf = provenance(overlay, display(basePath), overlayPath === undefined ? undefined : display(overlayPath));
  options.onDocument?.(merged);

  const secretsPath = isMapping(merged) && typeof merged.secrets_path === "string" ? merged.secrets_path : undefined;
  const era = eraOf(merged, cwd, secretsPath, destination);
  const shape = validateShape(merged, { era, fileOf });
  warnings.push(...shape.warnings);
  for (const w of warnings) options.onWarning?.(w);

  const secrets = loadSecrets({ cwd, destination, secretsPath, env });
  observeSecrets(secrets, options.registerSecret);
  const files = [basePath, overlayPath].filter((f): f is string => f !== undefined).map(display);
  const doc = shape.config as Record<string, unknown>;

  let config: Config | undefined;
  const issues = [...shape.issues];
  try {
    config = Config.build(doc, {
      era,
      destination,
      secrets,
      fileOf,
      files,
      toolVersion: options.toolVersion,
      version: () => resolveVersion({ option: options.version, env, cwd }),
    });
  } catch (error) {
    // With shape errors the model may not be buildable; those errors are the ones to show.
    if (error instanceof ConfigError) issues.push(...error.issues);
    else if (issues.length === 0) throw error;
  }
  if (issues.length > 0 || config === undefined) throw new ConfigError(issues);

  // Read every secret the configuration names now, so each is masked before any command runs.
  for (const reference of config.secretReferences) secrets.get(reference.name);
  // A registry password written in deploy.yml itself (often by ERB: `aws ecr get-login-password`)
  // is a secret all the same.
  const passwords: Array<[string, string | undefined]> = [
    ["registry.password", config.registry.password],
    ...config.accessories.map((a): [string, string | undefined] => [`accessories.${a.name}.registry.password`, a.registry?.password]),
  ];
  for (const [path, password] of passwords) if (password !== undefined) options.registerSecret?.(password, path, true);
  return config;
}


/** `config/deploy.yml` + `staging` → `config/deploy.staging.yml`. */
export function destinationFile(basePath: string, destination: string): string {
  const name = basename(basePath);
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  return join(dirname(basePath), `${stem}.${destination}${ext}`);
}

function knownDestinations(basePath: string): string[] {
  const name = basename(basePath);
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  return readdirSync(dirname(basePath))
    .filter((f) => f.startsWith(`${stem}.`) && f.endsWith(ext) && f !== name)
    .map((f) => f.slice(stem.length + 1, f.length - ext.length))
    .filter((d) => d !== "" && !d.includes("."))
    .sort();
}

/** MRSK loads `.env.<dest>` then `.env`; the first value set wins and the real environment is kept. */
function loadDotenvFiles(
  cwd: string,
  destination: string | undefined,
  env: Record<string, string | undefined>,
  display: (p: string) => string,
  register: LoadOptions["registerSecret"],
): void {
  const files = destination === undefined ? [".env"] : [`.env.${destination}`, ".env"];
  for (const file of files) {
    const path = join(cwd, file);
    if (!existsSync(path)) continue;
    const entries = parseDotenv(readConfigFile(path, display(path)), { file: display(path), env, cwd });
    // `.env` is where MRSK keeps secrets: masked from here on, so that even an error about the
    // YAML or ERB that uses one (the load is not finished) cannot show it.
    for (const entry of entries) register?.(entry.value, entry.key, false);
    applyWithoutOverride(env, entries);
  }
}

/**
 * A YAML error on a line where ERB wrote the value never quotes it: the value may be a secret
 * that is not known yet as one (the load is not finished), like `password: <%= ENV["PW"] %>`.
 */
function withoutErbOutput<T>(template: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = template.split("\n");
    const fromErb = (line: number | undefined): boolean => line !== undefined && (lines[line - 1] ?? "").includes("<%");
    if (!error.issues.some((issue) => fromErb(issue.line))) throw error;
    throw new ConfigError(
      error.issues.map((issue) =>
        fromErb(issue.line)
          ? {
              ...issue,
              message: "this line is not valid YAML once its ERB has run (the line is not shown: it may hold a secret)",
              hint: 'a value starting with @ * % | ` or containing ": " must be quoted: put the ERB tag in quotes',
            }
          : issue,
      ),
    );
  }
}

/** Kamal-era keys decide; a project with Kamal secrets files is a Kamal 2 project too. */
function eraOf(doc: unknown, cwd: string, secretsPath: string | undefined, destination: string | undefined): Era {
  if (detectEra(doc) === "kamal") return "kamal";
  const hasSecretsFiles = secretsFiles(secretsPath ?? DEFAULT_SECRETS_PATH, destination).some((f) => existsSync(join(cwd, f)));
  return hasSecretsFiles ? "kamal" : "mrsk";
}

/** Everything in a secrets file is secret; from the environment, only what is read as a secret. */
function observeSecrets(secrets: Secrets, register: LoadOptions["registerSecret"]): void {
  if (register === undefined) return;
  if (!secrets.fromEnvironment) for (const [name, value] of secrets.entries()) register(value, name, false);
  secrets.observe((name, value) => register(value, name, true));
}
