// Measurement harness shared by every suite: tinybench for the timing, several rounds with the
// task order rotated each round, medians per task and ratios taken round by round (so a noisy
// moment on a shared machine hits both sides of a ratio together).
import { Bench } from 'tinybench';

export interface Profile {
  readonly quick: boolean;
  /** Timed budget per task per round, ms. */
  readonly time: number;
  readonly warmup: number;
  readonly rounds: number;
  /** Payload sizes in bytes, 32 B → 64 KiB stepped by ×4 in the full run. */
  readonly sizes: readonly number[];
}

// Short timed slices and many rounds: on a shared machine, load changes over seconds, so the two
// sides of a ratio are best measured close together, many times.
export const FULL: Profile = {
  quick: false,
  time: 100,
  warmup: 20,
  rounds: 9,
  sizes: [32, 128, 512, 2048, 8192, 32768, 65536],
};

export const QUICK: Profile = { quick: true, time: 40, warmup: 10, rounds: 3, sizes: [32, 1024] };

export interface Task {
  readonly name: string;
  readonly fn: () => unknown;
  /** Operations done by one call of `fn` (loops inside `fn` amortise the timer for fast ops). */
  readonly ops?: number;
}

export interface Sampled {
  readonly name: string;
  /** ops/s, one per round. */
  readonly hz: number[];
  readonly median: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs every task `rounds` times (rotating the order) and returns ops/s per round. */
export async function measure(
  profile: Profile,
  tasks: readonly Task[],
  /** Minimum calls per task and round; lower it for tasks whose one call is long (batches). */
  iterations = 16,
): Promise<Map<string, Sampled>> {
  const hz = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < profile.rounds; r++) {
    const bench = new Bench({
      time: profile.time,
      warmupTime: profile.warmup,
      iterations,
      warmupIterations: Math.min(iterations, 16),
    });
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[(i + r) % tasks.length]!;
      bench.add(t.name, t.fn);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const res = task.result as { state: string; period?: number; error?: unknown };
      if (res.state !== 'completed' || res.period === undefined) {
        throw new Error(`bench task "${task.name}" did not complete`, { cause: res.error ?? res.state });
      }
      const ops = tasks.find((t) => t.name === task.name)!.ops ?? 1;
      hz.get(task.name)!.push((1000 / res.period) * ops);
    }
  }
  const out = new Map<string, Sampled>();
  for (const [name, xs] of hz) out.set(name, { name, hz: xs, median: median(xs) });
  return out;
}

const paired = new WeakMap<Map<string, Sampled>, Map<string, number>>();

function opsPerMs(fn: () => unknown, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return n / (performance.now() - t0);
}

/**
 * The ratio hz(a)/hz(b) from paired, interleaved blocks of about `blockMs` each (A B, then B A, …),
 * median over blocks. On a shared 2-core machine other processes take the CPU in slices of a few
 * ms; blocks this short either both escape or one is visibly hit and the median drops it. Used for
 * every ratio of two synchronous tasks; tinybench still gives each task's own figures.
 */
export function pairedRatio(a: () => unknown, b: () => unknown, blocks: number, blockMs = 2): number {
  // Calibrate: calls per block for each side, after a short warm-up.
  const calls = (fn: () => unknown): number => {
    let n = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      const dt = performance.now() - t0;
      if (dt >= blockMs || n >= 1 << 20) return Math.max(1, Math.round((n * blockMs) / Math.max(dt, 1e-3)));
      n *= 2;
    }
  };
  const na = calls(a);
  const nb = calls(b);
  const ratios: number[] = [];
  for (let k = 0; k < blocks; k++) {
    let ra: number;
    let rb: number;
    if (k % 2 === 0) {
      ra = opsPerMs(a, na);
      rb = opsPerMs(b, nb);
    } else {
      rb = opsPerMs(b, nb);
      ra = opsPerMs(a, na);
    }
    ratios.push(ra / rb);
  }
  return median(ratios);
}

/** Computes paired ratios for synchronous task pairs and attaches them to `results`. */
export function pairUp(profile: Profile, results: Map<string, Sampled>, tasks: readonly Task[], pairs: readonly (readonly [string, string])[]): void {
  const table = paired.get(results) ?? new Map<string, number>();
  const fn = (name: string) => {
    const t = tasks.find((x) => x.name === name);
    if (!t) throw new Error(`no task ${name}`);
    return t.fn;
  };
  for (const [a, b] of pairs) table.set(`${a}\u0000${b}`, pairedRatio(fn(a), fn(b), profile.quick ? 15 : 41));
  paired.set(results, table);
}

/**
 * hz(a)/hz(b): the paired-block ratio when {@link pairUp} computed one, else the median over
 * rounds of the per-round ratio (async tasks such as the pool's).
 */
export function ratio(results: Map<string, Sampled>, a: string, b: string): number {
  const p = paired.get(results)?.get(`${a}\u0000${b}`);
  if (p !== undefined) return p;
  const ra = results.get(a);
  const rb = results.get(b);
  if (!ra || !rb) throw new Error(`no result for ${ra ? b : a}`);
  return median(ra.hz.map((x, i) => x / rb.hz[i]!));
}

export function fmtHz(hz: number): string {
  if (hz >= 1e6) return `${(hz / 1e6).toFixed(2)}M/s`;
  if (hz >= 1e3) return `${(hz / 1e3).toFixed(1)}k/s`;
  return `${hz.toFixed(0)}/s`;
}

export function fmtSize(n: number): string {
  return n >= 1024 ? `${n / 1024} KiB` : `${n} B`;
}

export function fmtRatio(x: number): string {
  return `${x.toFixed(3)}×`;
}

/** A claim from an issue, checked against a ratio measured in this run. */
export interface Target {
  readonly what: string;
  readonly issue: string;
  readonly measured: number;
  readonly goal: number;
  /** `min`: measured ≥ goal; `max`: measured ≤ goal. */
  readonly kind: 'min' | 'max';
  readonly unit: string;
  readonly note?: string;
}

export function met(t: Target): boolean {
  return t.kind === 'min' ? t.measured >= t.goal : t.measured <= t.goal;
}

/** What a suite hands back: markdown sections for RESULTS.md and targets for the summary. */
export interface SuiteReport {
  readonly title: string;
  readonly markdown: string;
  readonly targets: Target[];
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Keeps a value alive so the optimiser cannot drop the work that made it. */
export let sink: unknown;
export function consume(v: unknown): void {
  sink = v;
}

/** Runs `bench/child.ts <suite> <profile> ...args` in a new Node process; returns its report. */
export async function runChild(profile: Profile, args: string[], nodeFlags: string[] = []): Promise<SuiteReport> {
  const { execFile } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = fileURLToPath(new URL('./child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeFlags, '--import', 'tsx', child, args[0]!, profile.quick ? 'quick' : 'full', ...args.slice(1)],
      { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
      (err, stdout, stderr) => {
        process.stderr.write(stderr);
        if (err) reject(err);
        else resolve(JSON.parse(stdout) as SuiteReport);
      },
    );
  });
}
