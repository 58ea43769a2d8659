import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Fake vendor CLIs for the secrets adapters: small /bin/sh scripts, first (and alone) on PATH, that
// expect an exact sequence of calls. Each call must match its argv (and environment, if given)
// exactly, or the script exits 99 and records what it got; `verify()` fails the test on any
// mismatch and on expected calls that never came.

export interface ExpectedCall {
  readonly argv: readonly string[];
  readonly stdout?: string;
  readonly status?: number;
  /** Variables the call must see; null means it must be unset. */
  readonly env?: Readonly<Record<string, string | null>>;
}

const SEPARATOR = "\x1f";

export class FakeClis {
  readonly dir = mkdtempSync(join(tmpdir(), "mrsk-fake-cli-"));
  private readonly expected = new Map<string, number>();

  /** Installs `name`, which answers `calls` in this order. */
  install(name: string, calls: readonly ExpectedCall[]): void {
    this.expected.set(name, calls.length);
    const counter = join(this.dir, `.${name}.count`);
    rmSync(counter, { force: true });
    const failures = join(this.dir, ".failures");
    const cases = calls.map((call, i) => {
      const checks = [`[ "$got" = ${quote(call.argv.map((a) => a + SEPARATOR).join(""))} ] || fail`];
      for (const [variable, value] of Object.entries(call.env ?? {})) {
        checks.push(`[ "\${${variable}-<unset>}" = ${quote(value ?? "<unset>")} ] || fail "${variable}=\${${variable}-<unset>}"`);
      }
      return `${i + 1})\n  ${checks.join("\n  ")}\n  printf '%s' ${quote(call.stdout ?? "")}\n  exit ${call.status ?? 0};;`;
    });
    const script = [
      "#!/bin/sh",
      `n=0; [ -f ${quote(counter)} ] && read n < ${quote(counter)}`,
      `n=$((n + 1)); echo "$n" > ${quote(counter)}`,
      `got=$(printf '%s${SEPARATOR}' "$@")`,
      `fail() { printf '%s\\n' "${name} call $n: $got $1" >> ${quote(failures)}; echo "fake ${name}: unexpected call $n" >&2; exit 99; }`,
      'case "$n" in',
      ...cases,
      "*) fail;;",
      "esac",
      "",
    ].join("\n");
    writeFileSync(join(this.dir, name), script);
    chmodSync(join(this.dir, name), 0o755);
  }

  /** Throws when a call did not match or an expected call never came. */
  verify(): void {
    const failuresFile = join(this.dir, ".failures");
    if (existsSync(failuresFile)) {
      const lines = readFileSync(failuresFile, "utf8").trimEnd().split("\n");
      throw new Error(`fake CLI got unexpected calls:\n${lines.map((l) => `  ${l.split(SEPARATOR).join(" ⎵ ")}`).join("\n")}`);
    }
    for (const [name, count] of this.expected) {
      const counter = join(this.dir, `.${name}.count`);
      const made = existsSync(counter) ? Number(readFileSync(counter, "utf8").trim()) : 0;
      if (made !== count) throw new Error(`fake ${name} expected ${count} call(s), got ${made}`);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
