import { join } from "node:path";
import {
  accessoryFileHostPath,
  ensureAccessoryNetwork,
  accessoryState,
  makeAccessoryDirectories,
  runAccessory,
} from "../commands/accessory.js";
import { ensureDirectory } from "../commands/app.js";
import { recordAudit } from "../commands/audit.js";
import { registryLogin } from "../commands/registry.js";
import { chain } from "../commands/shell.js";
import type { Accessory } from "../config/accessory.js";
import { envFileContent } from "../config/env.js";
import { renderErb } from "../config/erb.js";
import { LocalFileProblem, readLocalText } from "../config/local-file.js";
import type { Config } from "../config/model.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";

// Booting accessories: their directories and files, their env file, then the container. An
// accessory that already exists on a host is left alone (its data lives across deploys).

export function accessoriesNamed(config: Config, name: string): Accessory[] {
  if (name === "all") return [...config.accessories];
  const accessory = config.accessory(name);
  if (accessory === undefined) {
    throw new MrskError(`No accessory named ${name}`, {
      hint: config.accessories.length === 0 ? "accessories are configured under `accessories:`" : `accessories are: ${config.accessories.map((a) => a.name).join(", ")}`,
    });
  }
  return [accessory];
}

export async function bootAccessories(ctx: FlowContext, config: Config, accessories: readonly Accessory[], hostFilter?: readonly string[]): Promise<void> {
  const transport = await ctx.transport();
  for (const accessory of accessories) {
    const hosts = hostFilter === undefined ? accessory.hosts : accessory.hosts.filter((h) => hostFilter.includes(h));
    if (hosts.length === 0) continue;
    ctx.output.phase(`Booting accessory ${accessory.name} on ${hosts.join(", ")}`);
    await onHosts(transport, hosts, (session) => bootAccessoryOn(ctx, config, accessory, session));
  }
}

async function bootAccessoryOn(ctx: FlowContext, config: Config, accessory: Accessory, session: HostSession): Promise<void> {
  const state = await session.run(accessoryState(accessory), { tolerate: true });
  if (state.exitCode === 0 && !ctx.dryRun) {
    ctx.output.info(`${accessory.service} already exists (${state.stdout.trim()}); leaving it as it is`, session.host);
    return;
  }
  // The app network is created in this round trip: the host may run nothing else that would.
  await session.run(chain(...ensureAccessoryNetwork(config, accessory), makeAccessoryDirectories(accessory)));
  for (const file of accessory.files) {
    const content = renderedFile(ctx, config, accessory, file.local);
    await session.upload(accessoryFileHostPath(accessory, file.remote), content, file.mode === undefined ? defaultFileMode(file.local) : Number.parseInt(file.mode, 8));
  }
  if (accessory.env.secrets.length > 0) {
    await session.run(ensureDirectory(`${config.appDirectory}/env/accessories`));
    await session.upload(config.accessoryEnvFile(accessory), envFileContent(config.secretValues(accessory.env)), 0o600);
  }
  const registry = accessory.registry;
  if (registry?.password !== undefined) await session.run(registryLogin({ ...registry, local: false }), { stdin: registry.password });
  await session.run(recordAudit(config, auditTags(ctx, config), `Booted ${accessory.name} accessory`));
  await session.run(runAccessory(config, accessory));
}

/** A file rendered from ERB may hold secrets (it sees the accessory's secret env): owner-only. */
export function defaultFileMode(local: string): number {
  return local.endsWith(".erb") ? 0o600 : 0o644;
}

/** A file's content; `.erb` files are rendered with the accessory's environment, as MRSK does. */
function renderedFile(ctx: FlowContext, config: Config, accessory: Accessory, local: string): string {
  const path = join(ctx.cwd, local);
  let text: string;
  try {
    text = readLocalText(path);
  } catch (error) {
    if (!(error instanceof LocalFileProblem)) throw error;
    throw new MrskError(`accessories.${accessory.name}.files: ${local} ${error.message}`, { hint: "paths are relative to the project directory" });
  }
  if (!local.endsWith(".erb")) return text;
  const env = { ...ctx.env, ...accessory.env.clear, ...Object.fromEntries(config.secretValues(accessory.env)) };
  return renderErb(text, { file: local, env, cwd: ctx.cwd });
}
