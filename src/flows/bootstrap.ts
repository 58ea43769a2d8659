import { dockerInstalled, dockerWorks, installDocker, isRoot } from "../commands/server.js";
import type { Config } from "../config/model.js";
import { MrskError } from "../errors.js";
import { onHosts } from "../transport/fanout.js";
import type { FlowContext } from "./context.js";
import { runHook } from "./hooks.js";

// `server bootstrap`: Docker where it is missing, installed as root with Docker's script.

export async function bootstrapServers(ctx: FlowContext, config: Config, hosts: readonly string[]): Promise<void> {
  ctx.output.phase(`Checking Docker on ${hosts.join(", ")}`);
  const installed = await onHosts(await ctx.transport(), hosts, async (session) => {
    if ((await session.run(dockerWorks(), { tolerate: true })).exitCode === 0) return false;
    const present = (await session.run(dockerInstalled(), { tolerate: true })).exitCode === 0;
    const root = (await session.run(isRoot(), { tolerate: true })).exitCode === 0;
    if (!root) {
      const sshUser = config.ssh.user ?? "the SSH user";
      throw new MrskError(
        present
          ? `Docker is installed on ${session.host} but ${sshUser} may not use it`
          : `Docker is not installed on ${session.host}, and ${sshUser} is not root, so mrsk cannot install it`,
        {
          hint: present
            ? `add ${sshUser} to the docker group on ${session.host} (usermod -aG docker ${sshUser}) and log in again`
            : `install Docker on ${session.host} as root, and add ${sshUser} to the docker group`,
        },
      );
    }
    if (present) return false;
    ctx.output.info("Installing Docker", session.host);
    await session.run(installDocker(), { echo: true });
    return true;
  });
  if (installed.some(Boolean)) await runHook(ctx, config, "docker-setup", { command: "server", subcommand: "bootstrap", hosts });
}
