// The Prometheus alert rules (deploy/prometheus/alerts.yml) under `promtool test rules`: each rule
// fires on its attack and stays quiet just under its threshold, and a weakened rule fails them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const PROMTOOL = '/usr/bin/promtool';
const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
// CI installs Debian's prometheus package (.ci/run); elsewhere a machine without it skips.
const available = existsSync(PROMTOOL);
if (!available && process.env['CI']) throw new Error(`${PROMTOOL} is missing: .ci/run installs it`);

function promtoolTest(dir: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!available)('alert rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sealwire-alerts-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('pass promtool test rules: every rule fires on its input and not just under it', () => {
    const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
    const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
    const names = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(names.length).toBe(10);
    for (const name of names) {
      expect(tests, name).toContain(`name: '${name}: quiet'`);
      expect(rules.slice(rules.indexOf(`alert: ${name}`)).split('- alert:')[0], name).toContain('runbook:');
    }
    const r = promtoolTest(DIR);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.each([
    ['a forgery burst threshold lowered to 2', '}[5m])) >= 3', '}[5m])) >= 2'],
    ['the resume allowance dropped', '> 5 + sum(', '> 5 + 0 * sum('],
    ['the handshake failure ratio raised to 10%', '> 0.05', '> 0.1'],
  ])('fail when a rule is weakened: %s', (_what, from, to) => {
    const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
    expect(rules).toContain(from);
    writeFileSync(join(scratch, 'alerts.yml'), rules.replace(from, to));
    copyFileSync(join(DIR, 'alerts.test.yml'), join(scratch, 'alerts.test.yml'));
    const r = promtoolTest(scratch);
    expect(r.output).toContain('FAILED');
    expect(r.status).not.toBe(0);
  });
});
