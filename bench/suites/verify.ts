// open() against the bare signature check it wraps, on identical bytes, for every backend, and
// seal() against bare sign. The baselines are what a careful application would write by hand:
// node:crypto with a cached KeyObject, libsodium with the raw key, noble in RFC 8032 mode.
import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { open, seal } from '../../src/index.js';
import { loadSodium } from '../../src/crypto/sodium.js';
import { MAX_ENVELOPE, SECRET, STREAM, TS, makeFixture, type Keys } from '../fixtures.js';
import {
  consume,
  fmtHz,
  fmtRatio,
  fmtSize,
  measure,
  pairUp,
  ratio,
  table,
  type Profile,
  type SuiteReport,
  type Target,
} from '../lib.js';

export async function verifySuite(profile: Profile, keys: Keys): Promise<SuiteReport> {
  const na = loadSodium();
  const pk = keys.publicKey;
  const rows: string[][] = [];
  const targets: Target[] = [];
  const worst = { node: Infinity, noble: Infinity, sodium: Infinity, sodiumVsNode: Infinity };
  const worstAt = { node: 0, noble: 0, sodium: 0, sodiumVsNode: 0 };
  for (const size of profile.sizes) {
    const f = makeFixture(keys, size);
    const opts = (b: string) => ({ keys: keys.ring[b]!, maxEnvelopeSize: MAX_ENVELOPE });
    const oNode = opts('node');
    const oNoble = opts('noble');
    const tasks = [
      { name: 'bare node verify', fn: () => consume(nodeVerify(null, f.tbs, keys.nodePublic, f.signature)) },
      { name: 'open node', fn: () => consume(open(f.envelope, oNode)) },
      { name: 'bare noble verify', fn: () => consume(ed.verify(f.signature, f.tbs, pk, { zip215: false })) },
      { name: 'open noble', fn: () => consume(open(f.envelope, oNoble)) },
    ];
    if (na) {
      const oSodium = opts('sodium');
      tasks.push(
        { name: 'bare sodium verify', fn: () => consume(na.crypto_sign_verify_detached(f.signature, f.tbs, pk)) },
        { name: 'open sodium', fn: () => consume(open(f.envelope, oSodium)) },
      );
    }
    // Sanity, outside the timing: every side of every ratio accepts these bytes.
    if (!nodeVerify(null, f.tbs, keys.nodePublic, f.signature) || !ed.verify(f.signature, f.tbs, pk, { zip215: false })) {
      throw new Error('baseline rejected the fixture');
    }
    const r = await measure(profile, tasks);
    pairUp(profile, r, tasks, [
      ['open node', 'bare node verify'],
      ['open noble', 'bare noble verify'],
      ...(na
        ? ([
            ['open sodium', 'bare sodium verify'],
            ['open sodium', 'bare node verify'],
            ['bare sodium verify', 'bare node verify'],
          ] as const)
        : []),
    ]);
    const nodeR = ratio(r, 'open node', 'bare node verify');
    const nobleR = ratio(r, 'open noble', 'bare noble verify');
    const row = [
      fmtSize(size),
      fmtHz(r.get('bare node verify')!.median),
      fmtHz(r.get('open node')!.median),
      fmtRatio(nodeR),
      fmtHz(r.get('bare noble verify')!.median),
      fmtHz(r.get('open noble')!.median),
      fmtRatio(nobleR),
    ];
    if (nodeR < worst.node) [worst.node, worstAt.node] = [nodeR, size];
    if (nobleR < worst.noble) [worst.noble, worstAt.noble] = [nobleR, size];
    if (na) {
      const sR = ratio(r, 'open sodium', 'bare sodium verify');
      const svn = ratio(r, 'open sodium', 'bare node verify');
      row.push(
        fmtHz(r.get('bare sodium verify')!.median),
        fmtHz(r.get('open sodium')!.median),
        fmtRatio(sR),
        fmtRatio(svn),
        fmtRatio(ratio(r, 'bare sodium verify', 'bare node verify')),
      );
      if (sR < worst.sodium) [worst.sodium, worstAt.sodium] = [sR, size];
      if (svn < worst.sodiumVsNode) [worst.sodiumVsNode, worstAt.sodiumVsNode] = [svn, size];
    } else {
      row.push('–', '–', '–', '–', '–');
    }
    rows.push(row);
    process.stderr.write(`  verify ${fmtSize(size)}: open/bare node ${fmtRatio(nodeR)}, noble ${fmtRatio(nobleR)}\n`);
  }
  const at = (n: number) => `worst size ${fmtSize(n)}`;
  targets.push(
    { what: 'open() / bare crypto.verify (node backend)', issue: '#2.9, #7', measured: worst.node, goal: 0.95, kind: 'min', unit: '×', note: at(worstAt.node) },
    { what: 'open() / bare noble verify (noble backend)', issue: '#2.9', measured: worst.noble, goal: 0.95, kind: 'min', unit: '×', note: at(worstAt.noble) },
  );
  if (na) {
    targets.push({
      what: 'open() with sodium / bare crypto.verify',
      issue: '#7.2',
      measured: worst.sodiumVsNode,
      goal: 1.9,
      kind: 'min',
      unit: '×',
      note: at(worstAt.sodiumVsNode),
    });
  }
  const markdown = [
    'Envelopes sealed once per size (key ring lookup included in `open()`, default 64-byte stream and',
    'header); baselines verify the identical Sig_structure bytes. Rates are tinybench medians over rounds;',
      'ratios come from paired ~2 ms blocks of the two tasks, interleaved, median of 41 blocks.',
    '',
    table(
      ['payload', 'bare node', 'open node', 'ratio', 'bare noble', 'open noble', 'ratio', 'bare sodium', 'open sodium', 'ratio', 'open sodium / bare node', 'bare sodium / bare node (ceiling)'],
      rows,
    ),
  ].join('\n');
  return { title: 'open() vs bare verify', markdown, targets };
}

export async function sealSuite(profile: Profile, keys: Keys): Promise<SuiteReport> {
  const na = loadSodium();
  const sizes = profile.quick ? [32] : [32, 2048, 65536];
  const rows: string[][] = [];
  for (const size of sizes) {
    const f = makeFixture(keys, size);
    const o = { seq: 1, stream: STREAM, ts: TS };
    const tasks = [
      { name: 'bare node sign', fn: () => consume(nodeSign(null, f.tbs, keys.nodePrivate)) },
      { name: 'seal node', fn: () => consume(seal(keys.signer['node']!, f.payload, o)) },
      { name: 'bare noble sign', fn: () => consume(ed.sign(f.tbs, SECRET)) },
      { name: 'seal noble', fn: () => consume(seal(keys.signer['noble']!, f.payload, o)) },
    ];
    if (na && keys.sodiumSecret) {
      const sk = keys.sodiumSecret;
      const sig = new Uint8Array(64);
      tasks.push(
        { name: 'bare sodium sign', fn: () => consume(na.crypto_sign_detached(sig, f.tbs, sk)) },
        { name: 'seal sodium', fn: () => consume(seal(keys.signer['sodium']!, f.payload, o)) },
      );
    }
    const r = await measure(profile, tasks);
    pairUp(profile, r, tasks, [
      ['seal node', 'bare node sign'],
      ['seal noble', 'bare noble sign'],
      ...(na ? ([['seal sodium', 'bare sodium sign']] as const) : []),
    ]);
    const row = [
      fmtSize(size),
      fmtHz(r.get('bare node sign')!.median),
      fmtHz(r.get('seal node')!.median),
      fmtRatio(ratio(r, 'seal node', 'bare node sign')),
      fmtHz(r.get('bare noble sign')!.median),
      fmtHz(r.get('seal noble')!.median),
      fmtRatio(ratio(r, 'seal noble', 'bare noble sign')),
    ];
    if (na) {
      row.push(fmtHz(r.get('bare sodium sign')!.median), fmtHz(r.get('seal sodium')!.median), fmtRatio(ratio(r, 'seal sodium', 'bare sodium sign')));
    }
    rows.push(row);
  }
  return {
    title: 'seal() vs bare sign',
    markdown: table(
      ['payload', 'bare node', 'seal node', 'ratio', 'bare noble', 'seal noble', 'ratio', ...(na ? ['bare sodium', 'seal sodium', 'ratio'] : [])],
      rows,
    ),
    targets: [],
  };
}
