import { recordAudit } from "../commands/audit.js";
import { listImagesInUse, listServiceImages, pruneDanglingImages, pruneStoppedContainers, removeImages, unusedImages } from "../commands/prune.js";
import { chain } from "../commands/shell.js";
import type { Config } from "../config/model.js";
import { onHosts } from "../transport/fanout.js";
import type { HostSession } from "../transport/types.js";
import { auditTags } from "./audit.js";
import type { FlowContext } from "./context.js";

// Keeps the newest `retain_containers` stopped containers (rollback targets) and the images they
// use; everything older goes.

export async function pruneEverywhere(ctx: FlowContext, config: Config, hosts: readonly string[], what: { containers: boolean; images: boolean }): Promise<void> {
  ctx.output.phase(`Pruning old ${[what.containers && "containers", what.images && "images"].filter(Boolean).join(" and ")} on ${hosts.join(", ")}`);
  const tags = auditTags(ctx, config);
  // The steps are independent, so they run at once on their own channels: one round trip, then the removal.
  await onHosts(await ctx.transport(), hosts, (session) =>
    Promise.all([
      what.containers ? session.run(chain(recordAudit(config, tags, "Pruned containers"), pruneStoppedContainers(config))) : undefined,
      what.images ? pruneImages(session, config, tags) : undefined,
    ]),
  );
}

async function pruneImages(session: HostSession, config: Config, tags: ReturnType<typeof auditTags>): Promise<void> {
  const [, images, inUse] = await Promise.all([
    session.run(chain(recordAudit(config, tags, "Pruned images"), pruneDanglingImages(config))),
    session.run(listServiceImages(config)),
    session.run(listImagesInUse(config)),
  ]);
  // A container removed meanwhile may still count as using its image: that image goes next time.
  const unused = unusedImages(images.stdout, inUse.stdout);
  if (unused.length > 0) await session.run(removeImages(unused), { tolerate: true });
}
