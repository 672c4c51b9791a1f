// Other COSE libraries verifying the very same envelopes (with sealwire's external_aad), to place
// sealwire among its peers. Each peer runs in its own process: cose-kit and @auth0/cose both
// register a global cbor-x extension for tag 18 and break each other when loaded together.
import { open } from '../../src/index.js';
import { externalAad } from '../../src/wire/envelope.js';
import { MAX_ENVELOPE, makeFixture, type Keys } from '../fixtures.js';
import {
  consume,
  fmtHz,
  fmtRatio,
  fmtSize,
  measure,
  ratio,
  runChild,
  table,
  type Profile,
  type SuiteReport,
} from '../lib.js';

type Verify = (envelope: Uint8Array) => Promise<unknown>;

async function peerVerifier(name: string, keys: Keys, aad: Uint8Array): Promise<Verify> {
  if (name === 'cose-kit') {
    const { coseVerify } = await import('cose-kit');
    return async (env) => {
      const r = await coseVerify(env, keys.nodePublic, aad);
      if (!r.isValid) throw new Error('cose-kit: invalid');
      return r;
    };
  }
  const { Sign1 } = await import('@auth0/cose');
  return (env) => Sign1.decode(env).verify(keys.nodePublic, { externalAAD: aad });
}

/** In the child process: one peer against open() on the same envelopes, in the same rounds. */
export async function peerChild(profile: Profile, keys: Keys, args: string[]): Promise<SuiteReport> {
  const peer = args[0]!;
  const aad = externalAad(undefined, undefined);
  const verify = await peerVerifier(peer, keys, aad);
  const rows: string[][] = [];
  for (const size of profile.quick ? [32] : [32, 2048]) {
    const f = makeFixture(keys, size);
    let accepted = 'yes';
    try {
      await verify(f.envelope);
    } catch (err) {
      accepted = `no: ${String(err)}`;
    }
    const o = { keys: keys.ring['node']!, maxEnvelopeSize: MAX_ENVELOPE };
    const tasks = [
      { name: 'open node', fn: () => consume(open(f.envelope, o)) },
      { name: peer, fn: async () => consume(await verify(f.envelope).catch((e: unknown) => e)) },
    ];
    if (keys.ring['sodium']) {
      const os = { keys: keys.ring['sodium'], maxEnvelopeSize: MAX_ENVELOPE };
      tasks.push({ name: 'open sodium', fn: () => consume(open(f.envelope, os)) });
    }
    const r = await measure(profile, tasks);
    const s = r.has('open sodium');
    rows.push([
      peer,
      fmtSize(size),
      accepted,
      fmtHz(r.get(peer)!.median),
      fmtHz(r.get('open node')!.median),
      fmtRatio(ratio(r, 'open node', peer)),
      s ? fmtHz(r.get('open sodium')!.median) : '–',
      s ? fmtRatio(ratio(r, 'open sodium', peer)) : '–',
    ]);
  }
  return { title: peer, markdown: JSON.stringify(rows), targets: [] };
}

export async function peersSuite(profile: Profile): Promise<SuiteReport> {
  const rows: string[][] = [];
  for (const peer of ['cose-kit', '@auth0/cose']) {
    const r = await runChild(profile, ['peer', peer]);
    rows.push(...(JSON.parse(r.markdown) as string[][]));
  }
  return {
    title: 'Peers on the same envelopes',
    markdown: [
      'cose-kit 1.7.1 and @auth0/cose 1.0.2 verify the sealwire envelopes (with sealwire\'s external_aad)',
      'using a node:crypto KeyObject made once. They apply no key ring, no header profile and no strict',
      'Ed25519 rule (both accept the identity-key forgery, issue 2), so they do less work than `open()`.',
      'Each peer runs in its own process, beside `open()` in the same rounds.',
      '',
      table(['peer', 'payload', 'verifies sealwire envelope', 'peer', 'open node', 'open node / peer', 'open sodium', 'open sodium / peer'], rows),
    ].join('\n'),
    targets: [],
  };
}
