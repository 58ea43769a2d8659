import { MrskError } from "../errors.js";

// Service, destination, role and accessory names end up in container names, file names and
// remote paths, so they share one rule: no `/`, `.`, space or leading `-` can widen what they name.

const NAME = /^[a-z0-9_-]+$/i;

export interface NameProblem {
  readonly message: string;
  readonly hint: string;
}

export function nameProblem(name: string, hint: string): NameProblem | undefined {
  if (!NAME.test(name)) return { message: `should only contain letters, digits, "-" and "_", got ${JSON.stringify(name.length > 60 ? `${name.slice(0, 59)}…` : name)}`, hint };
  if (name.startsWith("-")) return { message: `should not start with "-", got ${JSON.stringify(name)}`, hint };
  return undefined;
}

/** `-d`: it names files (`deploy.<d>.yml`, `.env.<d>`) and remote paths, so it is a name, never a path. */
export function checkDestinationName(destination: string): string {
  const problem = nameProblem(destination, "destinations are names like staging or production");
  if (problem !== undefined) throw new MrskError(`-d/--destination ${problem.message}`, { hint: problem.hint });
  return destination;
}
