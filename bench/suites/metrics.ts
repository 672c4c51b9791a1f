// What sealwire/metrics costs the hot path: Receiver.openSync with the sampled verify timing that
// collectMetrics attaches (a prom-client histogram, one open in 16 timed) against the same
// Receiver without it, on the same envelopes.
import { Histogram, Registry } from 'prom-client';
import { Receiver } from '../../src/index.js';
import { timeReceiver } from '../../src/metrics/timing.js';
import type { Keys } from '../fixtures.js';
import { fmtHz, fmtRatio, measure, pairUp, ratio, table, type Profile, type SuiteReport } from '../lib.js';
import { CTX, RECEIVER_OPTS, receiverLoop, sealRun } from './replay.js';

export async function metricsSuite(profile: Profile, keys: Keys): Promise<SuiteReport> {
  const envs = sealRun(keys, 32, profile.quick ? 1024 : 4096);
  const histogram = new Histogram({ name: 'bench_verify_seconds', help: 'bench', registers: [new Registry()], buckets: [0.0001, 0.001, 0.01] });
  const make = () => new Receiver({ keys: keys.ring['node']!, maxEnvelopeSize: 1 << 17, ...RECEIVER_OPTS });
  const timed = () => {
    const r = make();
    timeReceiver(r, 16, (s) => histogram.observe(s));
    return r;
  };
  // The sessions' path (openNow, what a SecureServer's sessions call), through the same receivers.
  const sessionLoop = (mk: () => Receiver) => {
    let r = mk();
    let i = 0;
    return () => {
      if (i === envs.length) [r, i] = [mk(), 0];
      return r.openInTurn(envs[i++]!, { ...CTX });
    };
  };
  const tasks = [
    { name: 'metrics off', fn: receiverLoop(make, envs) },
    { name: 'metrics on', fn: receiverLoop(timed, envs) },
    { name: 'session path off', fn: sessionLoop(make) },
    { name: 'session path on', fn: sessionLoop(timed) },
  ];
  const r = await measure(profile, tasks);
  pairUp(profile, r, tasks, [
    ['metrics on', 'metrics off'],
    ['session path on', 'session path off'],
  ]);
  const measured = ratio(r, 'metrics on', 'metrics off');
  const session = ratio(r, 'session path on', 'session path off');
  return {
    title: 'Metrics cost',
    markdown: table(
      ['Receiver.openSync, 32 B, node backend', 'rate', '/ metrics off'],
      [
        ['metrics off', fmtHz(r.get('metrics off')!.median), '1.000×'],
        ['metrics on (1 in 16 timed)', fmtHz(r.get('metrics on')!.median), fmtRatio(measured)],
        ['session path (openNow), metrics off', fmtHz(r.get('session path off')!.median), '1.000×'],
        ['session path (openNow), metrics on', fmtHz(r.get('session path on')!.median), fmtRatio(session)],
      ],
    ),
    targets: [
      { what: 'Receiver.openSync with metrics on / off, node backend', issue: '#18', measured, goal: 0.97, kind: 'min', unit: '×', note: '32 B' },
      { what: "A session's open (openNow) with metrics on / off, node backend", issue: '#18', measured: session, goal: 0.97, kind: 'min', unit: '×', note: '32 B' },
    ],
  };
}
