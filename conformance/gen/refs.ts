// Spec requirement ids by meaning, so every vector cites the rule it tests and a renumbered spec
// is one edit here. The traceability check (conformance/trace.ts) fails on any id spec/ lacks.
export const REF = {
  // spec/verification.md
  verKeyLength: 'VER-2.1',
  verKeyCanonical: 'VER-2.2',
  verKeySmallOrder: 'VER-2.3',
  verKeyTorsion: 'VER-2.4',
  verSigLength: 'VER-3.1',
  verRCanonical: 'VER-3.2',
  verSRange: 'VER-3.3',
  verEquation: 'VER-3.4',
  verValid: 'VER-3.5',
  // spec/envelope.md
  envTag: 'ENV-3.1',
  envArray: 'ENV-3.2',
  envProtectedBstr: 'ENV-3.3',
  envUnprotectedEmpty: 'ENV-3.4',
  envPayloadBstr: 'ENV-3.5',
  envSigLength: 'ENV-3.6',
  envAlg: 'ENV-4.1',
  envAlgAccept: 'ENV-4.2',
  envCt: 'ENV-4.3',
  envKid: 'ENV-4.4',
  envVersion: 'ENV-4.5',
  envSeq: 'ENV-4.6',
  envTs: 'ENV-4.7',
  envStream: 'ENV-4.8',
  envCrit: 'ENV-4.9',
  envUnknownLabel: 'ENV-4.10',
  envMissing: 'ENV-4.11',
  envDeterministic: 'ENV-5.1',
  envIndefinite: 'ENV-5.2',
  envPreferred: 'ENV-5.3',
  envDuplicate: 'ENV-5.4',
  envMapOrder: 'ENV-5.5',
  envTrailing: 'ENV-5.6',
  envTruncated: 'ENV-5.7',
  envCborTypes: 'ENV-5.8',
  envExternalAad: 'ENV-6.1',
  envBinding: 'ENV-6.2',
  envKeyLookup: 'ENV-7.1',
  envKeyValidity: 'ENV-7.2',
  envRevocation: 'ENV-7.3',
  envSizeCap: 'ENV-8.1',
  envProtectedCap: 'ENV-8.2',
  envSigStructure: 'ENV-6.3',
  envPayloadOpaque: 'ENV-3.7',
  // spec/replay.md
  rplWindow: 'RPL-3.1',
  rplDuplicate: 'RPL-3.2',
  rplTooOld: 'RPL-3.3',
  rplStrict: 'RPL-3.4',
  rplForgedNoMove: 'RPL-3.5',
  rplFuture: 'RPL-4.1',
  rplStale: 'RPL-4.2',
  rplStreams: 'RPL-5.1',
  rplRestart: 'RPL-6.1',
} as const;

export type RefName = keyof typeof REF;

export function refs(...names: RefName[]): string[] {
  return names.map((n) => REF[n]);
}
