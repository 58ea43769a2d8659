// Every secret value registered at config load is replaced here, once, for every renderer.

const MASK = "[REDACTED]";
// Values this short would mangle ordinary output if masked wherever they occur.
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Remember a secret; returns false when it is too short to be masked reliably. */
  register(value: string | undefined | null): boolean {
    if (value === undefined || value === null) return true;
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH) return trimmed.length === 0;
    for (const v of new Set([value, trimmed])) {
      if (v.length >= MIN_SECRET_LENGTH && !this.values.has(v)) {
        this.values.add(v);
        this.pattern = undefined;
      }
    }
    return true;
  }

  get size(): number {
    return this.values.size;
  }

  redact = (text: string): string => {
    if (this.values.size === 0 || text === "") return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, MASK);
  };
}
