// Every secret value is masked here, once, for every renderer: text by substitution, structured
// data field by field. Configured hosts are shown as themselves even when a secret holds them.

export const MASK = "[REDACTED]";
/** Values this short would mangle ordinary output if masked wherever they occur. */
export const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly values = new Set<string>();
  private readonly hosts = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * Remembers a secret, and each line of a multi-line one (output reaches us a line at a time).
   * Returns false when the value is too short to be masked (an empty value needs no mask).
   */
  register(value: string | undefined | null): boolean {
    if (value === undefined || value === null) return true;
    const trimmed = value.trim();
    const lines = value.includes("\n") ? value.split("\n").map((line) => line.trim()) : [];
    for (const v of [value, value.replace(/\r?\n$/, ""), trimmed, ...lines]) {
      this.add(v);
      // As JSON text shows it (`docker inspect`, quoted values in messages): `"` and `\` escaped.
      this.add(JSON.stringify(v).slice(1, -1));
      // As a command line quotes it (`toShell`: '…' with each ' written '\'').
      this.add(v.replaceAll("'", "'\\''"));
    }
    return trimmed.length === 0 || trimmed.length >= MIN_SECRET_LENGTH;
  }

  /** Host names stay readable where they appear, even when a secret's value is one of them. */
  showHosts(hosts: Iterable<string>): void {
    for (const host of hosts) {
      if (host === "" || this.hosts.has(host)) continue;
      this.hosts.add(host);
      this.pattern = undefined;
    }
  }

  isHost(text: string): boolean {
    return this.hosts.has(text);
  }

  get size(): number {
    return this.values.size;
  }

  redact = (text: string): string => {
    if (this.values.size === 0 || text === "") return text;
    // Hosts are alternatives of the same pattern, so an occurrence of a host is matched as a whole
    // (and kept) before a shorter secret inside it could be; a longer secret containing a host wins.
    this.pattern ??= new RegExp(
      [...new Set([...this.values, ...this.hosts])]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, (match) => (this.hosts.has(match) ? match : MASK));
  };

  /**
   * Structured data: strings are masked like text, numbers, booleans and keys are never touched
   * (a port 3000 stays 3000 when a secret is "3000"), so the result is still the same structure.
   */
  redactData = (value: unknown): unknown => {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map(this.redactData);
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = v instanceof SecretField ? MASK : this.redactData(v);
      return out;
    }
    return value;
  };

  private add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    this.pattern = undefined;
  }
}

/** A field of structured output that holds a secret: shown masked whatever its length or value. */
export class SecretField {
  toJSON(): string {
    return MASK;
  }

  toString(): string {
    return MASK;
  }
}
