import { MrskError } from "../errors.js";

export function uploadError(host: string, path: string, reason: string, hint?: string): MrskError {
  return new MrskError(`Could not write ${path} on ${host}: ${reason}`, hint === undefined ? {} : { hint });
}
