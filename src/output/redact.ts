// Every secret value is masked here, once, for every renderer: text by substitution, structured
// data field by field. Configured hosts are shown as themselves even when a secret holds them.

export const MASK = "[REDACTED]";
/** Values this short would mangle ordinary output if masked wherever they occur. */
export const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly values = new Set<string>();
  private readonly hosts = new Set<string>();
  private patterns: { secrets: RegExp | undefined; hosts: RegExp | undefined } | undefined;

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
      this.patterns = undefined;
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
    this.patterns ??= {
      secrets: alternation([...this.values].filter((v) => !this.hosts.has(v))),
      hosts: alternation([...this.hosts]),
    };
    // Every occurrence of every secret is found on its own (overlapping ones too), so that a host
    // or a shorter secret that starts earlier cannot hide part of a longer secret. Only a secret
    // lying wholly inside an occurrence of a host stays readable there.
    const hostSpans = this.patterns.hosts === undefined ? [] : occurrences(text, this.patterns.hosts);
    const masked = (this.patterns.secrets === undefined ? [] : occurrences(text, this.patterns.secrets)).filter(
      ([start, end]) => !hostSpans.some(([hs, he]) => hs <= start && end <= he),
    );
    if (masked.length === 0) return text;
    let out = "";
    let at = 0;
    for (const [start, end] of merge(masked)) {
      out += `${text.slice(at, start)}${MASK}`;
      at = end;
    }
    return out + text.slice(at);
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
    this.patterns = undefined;
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

/** One sticky pattern matching any of `values` (longest first); undefined for none. */
function alternation(values: readonly string[]): RegExp | undefined {
  if (values.length === 0) return undefined;
  const escaped = [...new Set(values)].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(escaped.join("|"), "y");
}

/** [start, end) of the longest match of `pattern` at every position of `text`. */
function occurrences(text: string, pattern: RegExp): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    pattern.lastIndex = i;
    const match = pattern.exec(text);
    if (match !== null && match[0] !== "") spans.push([i, i + match[0].length]);
  }
  return spans;
}

/** Overlapping or touching spans as one, in order. */
function merge(spans: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
