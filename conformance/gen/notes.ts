// Every flag a vector may carry, with Wycheproof's {bugType, description, effect}. A vector file's
// `notes` holds exactly the flags its tests use.
import type { Note } from '../lib/format.js';

const n = (bugType: string, description: string, effect: string): Note => ({ bugType, description, effect });

const FORGERY = 'A forged or malleated message verifies: non-repudiation and authenticity are lost.';
const DISAGREE = 'Two verifiers reach different verdicts on the same bytes, so one accepts what another refuses.';
const ENCODING = 'One envelope gets several encodings, which defeats replay caches, deduplication and signature-based ids.';
const REPLAY = 'An attacker re-delivers a message the receiver already accepted, and it is accepted again.';

export const NOTES: Record<string, Note> = {
  // Node sets (spec/nodes.md).
  NodeSet: n(
    'BASIC',
    'A holder of one operator key checking node sets in order and resolving node keys in the set it holds.',
    'A client trusts a node the operator did not list, or refuses one it did.',
  ),
  NodeForgery: n(
    'MISSING_CHECK',
    'A node set not signed by the operator key for this service, or signed for another purpose.',
    'Anyone can name the nodes a client trusts.',
  ),
  NodeRollback: n(
    'MISSING_CHECK',
    'An older or expired node set, or a node a newer set dropped.',
    'A revoked node keeps signing for the service by replaying the set that listed it.',
  ),
  // Encrypted rooms (spec/e2ee.md).
  Rfc9180: n(
    'BASIC',
    'A test vector of RFC 9180 appendix A.2.1 (the HPKE-4 suite).',
    "An implementation that fails it is not the HPKE suite the spec names, and cannot open its peers' key copies.",
  ),
  E2eeChain: n(
    'BASIC',
    'The sender chain ratchet: message key, nonce and next chain key of an index.',
    'Members derive other keys than their senders and read nothing.',
  ),
  E2eeAad: n(
    'BASIC',
    'The external AAD a message binds: room, epoch, author kid, author stream and seq.',
    'A ciphertext can be moved to another room, epoch, author or position and still decrypt.',
  ),
  E2eeMessage: n(
    'BASIC',
    'An encrypted message decrypted under its chain, within the skip window.',
    'Members refuse messages their peers sent, or skip ahead without bound.',
  ),
  E2eeKeys: n('BASIC', 'A key distribution opened by one member.', 'Members cannot read a sender, or read a chain not sealed to them.'),
  E2eeReplay: n(
    'MISSING_CHECK',
    'A key distribution seen before, or made for another room or epoch.',
    'A server replays an old chain and members accept messages under a key they should have retired.',
  ),
  E2eeTamper: n(
    'MISSING_CHECK',
    'A ciphertext, key copy or device statement altered or moved.',
    'Altered ciphertext is accepted, or a server substitutes a device key and reads what follows.',
  ),
  E2eeMalformed: n(
    'MALFORMED_INPUT',
    'An encrypted-room payload that breaks its CDDL.',
    'Two implementations read different plaintext or keys from the same bytes.',
  ),
  E2eeMember: n(
    'BASIC',
    'One member over a stream of posts and room notices: what it decrypts, refuses, holds and posts.',
    'Members disagree on who can read the next message, or read nothing.',
  ),
  E2eeRotation: n(
    'MISSING_CHECK',
    'A sender that must make a new chain (first send, a device set change, a leave, a key request) and the recipients of its copies.',
    'A member that left or was removed still receives the chain keys of what follows, or a newcomer never does.',
  ),
  E2eeHold: n(
    'MISSING_CHECK',
    'A message held for its chain: released in order, or reported ERR_E2EE_NO_KEY when a bound is reached.',
    'Held messages pile up without bound, or are lost silently.',
  ),
  E2eeBound: n(
    'MISSING_CHECK',
    'A member memory bound overflowed: the least recently used entry is forgotten.',
    "A peer grows a member's memory without bound.",
  ),
  E2eeDevice: n('BASIC', 'A device statement verified under its author.', 'Members seal chain keys to a device key nobody vouched for.'),
  // Delivery and live sessions (step transcripts).
  Delivery: n(
    'BASIC',
    'Outbox or acknowledgement state after a sequence of envelopes and receipts.',
    'Messages are reported delivered that were not, or kept and resent forever, or acknowledged before they were accepted.',
  ),
  RoomStream: n(
    'BASIC',
    'A member following a room stream: order by offset and epoch, authors under their statements.',
    'Members deliver an event twice, out of order, from another room or epoch, or under the wrong author.',
  ),
  RoomForgery: n(
    'MISSING_CHECK',
    'A room frame altered or forged by the server or in transit.',
    "A server puts words in an author's mouth, or an attacker injects events members accept.",
  ),
  RoomTranscript: n(
    'MISSING_CHECK',
    'A room transcript checked offline: frames, authors under their statements, one event per offset.',
    'An auditor takes words the author never wrote, or two histories the server signed, for evidence.',
  ),
  RoomBatch: n(
    'MISSING_CHECK',
    'A room event authenticated by a Merkle inclusion proof under a signed batch root.',
    'An event outside the signed batch, or under a forged root, is accepted.',
  ),
  Resume: n('BASIC', 'State carried into a new session or connection.', 'Messages are lost or delivered twice across a reconnect.'),
  Session: n(
    'BASIC',
    'A data-phase verdict inside a live session after the pinned handshake.',
    'An authenticated peer can inject, reorder or mis-route messages inside a session.',
  ),
  Timer: n('EDGE_CASE', 'Time passes inside a session (timeouts, credential expiry).', 'A connection or credential outlives the bound the server promised.'),
  RateLimit: n(
    'RESOURCE',
    'Token buckets per connection and per identity, charged before the signature.',
    'A flood costs the server an Ed25519 verification per message, or one identity outruns its budget over several connections.',
  ),
  ConnectionCap: n('RESOURCE', 'Open connections per identity and per peer address.', 'One identity or address holds unbounded server resources.'),
  Authorization: n(
    'AUTH_BYPASS',
    'The authorize hook per request and room membership after a refusal.',
    'A session acts in, or receives from, a room it was not allowed into.',
  ),
  Jwt: n('AUTH_BYPASS', 'A JWT credential verified by the issuer key, expiry and cnf.jkt.', 'A stolen, expired or foreign token opens a session.'),
  // Ed25519, external sources.
  Rfc8032: n('BASIC', 'A test vector from RFC 8032 §7.1.', 'Refusing it means the implementation is not Ed25519.'),
  'wycheproof.Valid': n('BASIC', 'Wycheproof: a valid signature.', 'Refusing valid signatures breaks interoperability.'),
  'wycheproof.Ktv': n('BASIC', 'Wycheproof: a known valid signature.', 'Refusing valid signatures breaks interoperability.'),
  'wycheproof.InvalidKtv': n('UNKNOWN', 'Wycheproof: a known invalid signature.', FORGERY),
  'wycheproof.CompressedSignature': n('CAN_OF_WORMS', 'Wycheproof: r and s overlap, or 0 bytes were cut from the signature.', FORGERY),
  'wycheproof.InvalidEncoding': n('CAN_OF_WORMS', 'Wycheproof: a signature with an invalid encoding of R or S.', ENCODING),
  'wycheproof.InvalidSignature': n('AUTH_BYPASS', 'Wycheproof: edge-case values such as 0 or the group order.', FORGERY),
  'wycheproof.SignatureMalleability': n('SIGNATURE_MALLEABILITY', 'Wycheproof: S out of range (RFC 8032 §5.1.7, §8.4).', ENCODING),
  'wycheproof.SignatureWithGarbage': n('SIGNATURE_MALLEABILITY', 'Wycheproof: a signature with bytes appended.', ENCODING),
  'wycheproof.TinkOverflow': n('KNOWN_BUG', 'Wycheproof: caused an arithmetic overflow in Tink.', FORGERY),
  'wycheproof.TruncatedSignature': n('SIGNATURE_MALLEABILITY', 'Wycheproof: a truncated signature.', FORGERY),
  'cctv.low_order_A': n('EDGE_CASE', 'CCTV: A is one of the 14 low-order point encodings; refused at import.', DISAGREE),
  'cctv.low_order_R': n('EDGE_CASE', 'CCTV: R is a low-order point.', DISAGREE),
  'cctv.non_canonical_A': n('EDGE_CASE', 'CCTV: A is a non-canonical encoding; refused at import.', DISAGREE),
  'cctv.non_canonical_R': n('EDGE_CASE', 'CCTV: R is a non-canonical encoding; the signature is refused.', ENCODING),
  'cctv.low_order_component_A': n('EDGE_CASE', 'CCTV: A has a low-order component; refused at import (not torsion-free).', DISAGREE),
  'cctv.low_order_component_R': n('EDGE_CASE', 'CCTV: R has a low-order component.', DISAGREE),
  'cctv.low_order_residue': n('EDGE_CASE', 'CCTV: verifies only under the cofactored equation; the cofactorless equation refuses it.', DISAGREE),
  'cctv.reencoded_k': n('EDGE_CASE', 'CCTV: k computed over the canonical re-encoding of a non-canonical point.', DISAGREE),
  // Ed25519, computed facts.
  SmallOrderA: n('EDGE_CASE', 'The public key has small order (1, 2, 4 or 8); refused at import.', FORGERY),
  MixedOrderA: n('EDGE_CASE', 'The public key has a small-order component (not torsion-free); refused at import.', DISAGREE),
  NonCanonicalA: n('EDGE_CASE', 'The public key is a non-canonical point encoding (y >= p, or x = 0 with the sign bit set).', DISAGREE),
  OffCurveA: n('EDGE_CASE', 'The public key does not decode to a curve point.', DISAGREE),
  SmallOrderR: n('EDGE_CASE', 'R has small order.', DISAGREE),
  MixedOrderR: n('EDGE_CASE', 'R has a small-order component.', DISAGREE),
  NonCanonicalR: n('EDGE_CASE', 'R is a non-canonical point encoding; the signature is refused.', ENCODING),
  ScalarOutOfRange: n('SIGNATURE_MALLEABILITY', 'S >= L; the signature is refused (no reduction).', ENCODING),
  CofactoredOnly: n('EDGE_CASE', 'Verifies under the cofactored equation only; the cofactorless equation refuses it.', DISAGREE),
  UniversalForgery: n('AUTH_BYPASS', 'Identity public key with R = identity and S = 0: verifies for every message under a naive verifier.', FORGERY),
  WrongLength: n('MODIFIED_INPUT', 'A key or signature of the wrong length.', FORGERY),
  BitFlip: n('MODIFIED_INPUT', 'A valid item with one bit changed, or a valid signature over other bytes.', FORGERY),
  // Envelope codec.
  Codec: n('BASIC', 'A valid envelope with exact expected bytes for the given inputs.', 'Other implementations cannot produce or verify the same bytes.'),
  SessionBinding: n(
    'BASIC',
    'external_aad in its session form: "sealwire/1" || 0x01 || session id || direction || aad.',
    'Messages move between sessions or directions unnoticed.',
  ),
  Aad: n('BASIC', 'Application aad is covered by the signature and never sent.', 'A message is accepted in a context it was not sent in.'),
  Boundary: n('EDGE_CASE', 'A value at the edge of its allowed range.', 'Valid envelopes are refused, or invalid ones accepted, at the boundary.'),
  ContentType: n(
    'BASIC',
    'The content type header, as a CoAP content format or a media type.',
    'Receivers interpret the payload differently from what was signed.',
  ),
  AlgEd25519: n('BASIC', 'The fully specified alg Ed25519 (-19), accepted for migration.', 'Senders cannot migrate to the fully specified identifier.'),
  // Malformed encodings.
  Truncated: n('MALFORMED_INPUT', 'The input ends inside an item.', 'A decoder reads past the end or accepts a prefix.'),
  TrailingBytes: n('MALFORMED_INPUT', 'Bytes follow the complete item.', ENCODING),
  IndefiniteLength: n('MALFORMED_INPUT', 'An indefinite-length string, array or map.', ENCODING),
  NonPreferred: n('MALFORMED_INPUT', 'An integer, length or tag not in its shortest form.', ENCODING),
  DuplicateLabel: n('MALFORMED_INPUT', 'A map label appears twice.', 'Two verifiers read different header values from one envelope (last-wins vs first-wins).'),
  MapOrder: n('MALFORMED_INPUT', 'Map labels not in deterministic (bytewise lexicographic) order.', ENCODING),
  WrongTag: n('MALFORMED_INPUT', 'Missing or wrong CBOR tag (not 18, COSE_Sign1).', 'A COSE structure of another kind is processed as a signature.'),
  WrongStructure: n(
    'MALFORMED_INPUT',
    'The COSE_Sign1 array or one of its members has the wrong type or size.',
    'A decoder crashes or misreads the structure.',
  ),
  BadCbor: n(
    'MALFORMED_INPUT',
    'Not well-formed CBOR for the sealwire subset (reserved values, floats, invalid UTF-8, nesting).',
    'A decoder crashes or accepts ambiguous data.',
  ),
  TooLarge: n('RESOURCE', 'The envelope or its protected header exceeds its size cap.', 'Memory or CPU exhaustion by oversized input.'),
  UnprotectedHeader: n(
    'AUTH_BYPASS',
    'The unprotected header is not empty: it is not signed.',
    'An attacker changes header values the signature does not cover.',
  ),
  RealWorldCose: n(
    'INTEROP',
    'A COSE_Sign1 published by the COSE WG that does not follow the sealwire profile.',
    'Profile rules are not applied to envelopes from generic COSE tools.',
  ),
  // Header rules.
  MissingHeader: n(
    'MISSING_CHECK',
    'A required protected header label is absent.',
    'An envelope is accepted without the field replay or key lookup relies on.',
  ),
  HeaderValue: n('MISSING_CHECK', 'A protected header value has the wrong type or is out of range.', 'Values are misread, truncated or wrapped.'),
  UnsupportedAlg: n(
    'ALGORITHM_CONFUSION',
    'An algorithm other than EdDSA (-8) or Ed25519 (-19).',
    'Algorithm confusion: the key is used with another algorithm.',
  ),
  UnknownCritical: n(
    'MISSING_CHECK',
    'A crit header is present; v1 defines no critical extensions.',
    'A receiver ignores an extension the sender marked as critical.',
  ),
  UnknownHeader: n('MISSING_CHECK', 'An unknown protected header label.', 'Extensions are silently ignored by some receivers and honoured by others.'),
  Version: n('MISSING_CHECK', 'An unsupported or malformed version.', 'A receiver processes a format it does not understand.'),
  BadSignature: n('MODIFIED_INPUT', 'A well-formed envelope whose signature does not verify.', FORGERY),
  // Keys.
  BadKey: n('EDGE_CASE', 'A public key the import rule refuses.', FORGERY),
  UnknownKey: n('MISSING_CHECK', 'The kid names no key the receiver trusts.', FORGERY),
  KeyValidity: n(
    'MISSING_CHECK',
    "Envelope timestamp against the key's validity window (inclusive bounds).",
    'Expired or not-yet-valid keys sign accepted messages.',
  ),
  Revocation: n('MISSING_CHECK', 'A revoked key, or a key of an identity revoked before a cutoff.', 'A compromised key keeps signing accepted messages.'),
  Removal: n(
    'MISSING_CHECK',
    'A key taken out of the ring (retired, not revoked).',
    'A retired device key keeps signing accepted messages, or a removal silently lifts a revocation.',
  ),
  Rotation: n('BASIC', 'Two keys of one identity with overlapping validity.', 'Messages are refused during a key rotation.'),
  // Replay and freshness.
  Window: n('EDGE_CASE', 'A sequence number at the edge of the replay window (W-1, W, W+1 behind the highest).', REPLAY),
  Duplicate: n('REPLAY', 'An envelope delivered a second time.', REPLAY),
  Reorder: n('BASIC', 'Envelopes delivered out of order within the window.', 'Valid messages are refused on unordered transports.'),
  StrictOrder: n('BASIC', 'Strict in-order mode: anything but a higher sequence number is refused.', REPLAY),
  Forged: n('REPLAY', 'A forged envelope must not move the replay window.', 'An attacker blocks valid messages by advancing the window with forgeries.'),
  Freshness: n('EDGE_CASE', 'Timestamp against max future skew and max age (inclusive bounds).', 'Old or post-dated envelopes are accepted.'),
  Restart: n('REPLAY', "A receiver restart, under the spec's rule.", REPLAY),
  StreamLimit: n('RESOURCE', 'The cap on tracked streams.', 'Memory exhaustion, or replays accepted after state is evicted.'),
  SharedStore: n('REPLAY', 'Several receivers (nodes) over one replay store.', 'An envelope accepted by one node is accepted again by another.'),
  StoreLost: n(
    'REPLAY',
    'The shared replay store loses its state while the nodes run.',
    'Envelopes accepted before the loss are accepted again, because a node answers from the empty state as if it were the old one.',
  ),
  Sender: n(
    'REPLAY',
    'The sealing side numbers its stream: from 0, increasing, reserved before use across restarts, ending at 2^53 − 1.',
    'A sender seals two envelopes with one (kid, stream, seq): receivers refuse the second as a replay, or accept one in place of the other.',
  ),
  ErrorRegistry: n(
    'BASIC',
    'A published error code and its close code, frozen: no code changes number and no number names two codes.',
    'Two implementations, or two versions of one, report the same failure with different numbers, or different failures with one number.',
  ),
  StoreDown: n('MISSING_CHECK', 'The replay store cannot answer.', 'Envelopes are accepted without a replay commit, so replays pass while the store is down.'),
  Snapshot: n('REPLAY', 'A restart from a store snapshot, which lacks the acceptances made after it.', REPLAY),
  Streams: n(
    'BASIC',
    'Streams are independent: the same sequence number on another stream is new.',
    'Valid messages are refused, or state is shared where it must not be.',
  ),
  // Handshake.
  Handshake: n(
    'BASIC',
    'A complete handshake with exact bytes for the given keys, nonces and times.',
    'Other implementations cannot complete a handshake with this one, or agree on the session id.',
  ),
  Advisory: n(
    'BASIC',
    'Unknown hello limits are advisory: ignored, and hashed verbatim.',
    'A newer server that announces a new limit locks out older clients.',
  ),
  HandshakeShape: n(
    'MALFORMED_INPUT',
    'A handshake message that decodes but has the wrong shape (length, type, size).',
    'A decoder misreads a field or crashes on hostile input.',
  ),
  StateMachine: n(
    'MISSING_CHECK',
    'A message that is not the next one the handshake state machine expects.',
    'An unauthenticated peer skips the handshake or restarts it.',
  ),
  ServerIdentity: n('AUTH_BYPASS', 'The hello carries a server key the client does not trust.', 'A man in the middle impersonates the server.'),
  ClockSkew: n(
    'EDGE_CASE',
    'Client and server clocks compared against max_skew_ms (inclusive).',
    'Every later envelope is refused one by one, or stale handshakes are accepted.',
  ),
  WelcomeCheck: n(
    'AUTH_BYPASS',
    'A Welcome for another transcript, or not signed by the hello key.',
    'The client believes in a session the server never agreed to.',
  ),
  Origin: n('MISSING_CHECK', 'The declared origin against the transport origin and the allow-list.', 'Cross-site WebSocket hijacking.'),
  ChannelBinding: n(
    'MISSING_CHECK',
    "The TLS exporter binding of the client against the server's connection.",
    'A relay that terminates TLS forwards a handshake it does not own.',
  ),
  Credential: n('MISSING_CHECK', 'The credential check that maps the proven key to an identity.', 'A key holder gets an identity it was not issued.'),
  Receipt: n('BASIC', 'A receipt payload or receipt envelope (spec/receipts.md).', 'Senders and auditors disagree on what was delivered.'),
  Evidence: n(
    'MISSING_CHECK',
    "The auditor's check that a receipt names an envelope ([RCP-7.1]).",
    'A receipt is taken as evidence for an envelope it does not cover.',
  ),
  CheckOrder: n(
    'EDGE_CASE',
    'Two rules broken at once: the code of the earlier check is reported.',
    'Implementations disagree on codes, or do expensive work for unauthenticated peers.',
  ),
};
