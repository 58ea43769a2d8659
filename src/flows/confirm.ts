import { MrskError } from "../errors.js";
import type { FlowContext } from "./context.js";

// Removing things asks first: the plan says exactly what goes, then `Are you sure? [y/N]` on the
// terminal. Without a terminal nothing is removed unless `-y` confirmed it up front.

/** Asks a question on the terminal; undefined when there is no terminal to ask on. */
export type Prompt = (question: string) => Promise<string | undefined>;

export interface Confirmation {
  /** `-y`: confirmed on the command line. */
  yes: boolean;
  /** How to ask; the process's terminal by default. */
  prompt?: Prompt | undefined;
}

export class NotConfirmedError extends MrskError {}

/** Shows `plan`, then goes on only when confirmed (always in a dry run, which changes nothing). */
export async function confirmPlan(ctx: FlowContext, plan: string, confirmation: Confirmation): Promise<void> {
  ctx.output.result(plan);
  if (confirmation.yes || ctx.dryRun) return;
  ctx.output.close();
  const answer = await (confirmation.prompt ?? terminalPrompt)("Are you sure? [y/N] ");
  if (answer === undefined) {
    throw new NotConfirmedError("Nothing was removed: there is no terminal to confirm on", { hint: "pass -y to confirm without a prompt" });
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new NotConfirmedError("Nothing was removed: not confirmed");
}

/** Reads one line from the terminal, asking on stderr so that stdout stays the command's output. */
export const terminalPrompt: Prompt = async (question) => {
  if (process.stdin.isTTY !== true) return undefined;
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
};
