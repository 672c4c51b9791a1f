// The driver's room ops (conformance/README.md, spec/rooms.md): a member fed frames and Positions,
// answering what it delivered, refused or asked to recover; and the server's checks of a Post.
import { toHex } from '../../src/bytes.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importPublicKey } from '../../src/keys/keys.js';
import { RoomMember, type RoomMessage, type RoomNotice } from '../../src/rooms/member.js';
import { checkPost } from '../../src/rooms/posts.js';
import { leafHash, verifyInclusion } from '../../src/rooms/merkle.js';
import { RoomState, type PositionInfo, type RoomMember as ServerMember } from '../../src/rooms/room.js';
import type { NodeKeys } from '../../src/nodes/node-keys.js';
import { RequestError, hex, optBool, optStrings, string, uint, type Answer, type Json, type Request } from './fields.js';

const MAX_ENVELOPE = 65_536;

export class RoomOps {
  #member: RoomMember | undefined;
  #events: Json[] = [];
  #server: { room: RoomState<ServerMember>; author: ReturnType<typeof importPublicKey> } | undefined;

  constructor(
    private readonly backend: Ed25519Backend,
    /** The node-set holder of the `nodes.*` ops, for a member with `"nodes": true` (spec/nodes.md §5). */
    private readonly nodeKeys: () => NodeKeys,
  ) {}

  reset(req: Request): Answer {
    const serverKey = optBool(req, 'nodes') === true ? this.nodeKeys() : importPublicKey(hex(req, 'serverKey', 32), { backend: this.backend });
    const events: Json[] = (this.#events = []);
    const push = (e: Json): void => void events.push(e);
    this.#member = new RoomMember(serverKey, MAX_ENVELOPE, {
      message: (m: RoomMessage) =>
        push({ deliver: { room: m.room, offset: m.offset, verified: m.verified, identity: m.identity, seq: m.seq, payload: toHex(m.payload) } }),
      notice: (n: RoomNotice) => push(noticeJson(n)),
      recover: (room, epoch, next) => push({ recover: { room, epoch: toHex(epoch), next } }),
    });
    for (const room of optStrings(req, 'rooms') ?? []) this.#member.joining(room);
    return { ok: true };
  }

  frame(req: Request): Answer {
    const member = this.#needMember();
    member.frame(hex(req, 'frame'));
    return this.#drain();
  }

  position(req: Request): Answer {
    const member = this.#needMember();
    const status = uint(req, 'status');
    if (status > 4) throw new RequestError('"status" expected 0..4');
    const p: PositionInfo = {
      room: string(req, 'room'),
      epoch: hex(req, 'epoch', 16),
      next: uint(req, 'next'),
      status: status as PositionInfo['status'],
      count: uint(req, 'count'),
    };
    member.positioned(p);
    return this.#drain();
  }

  /** `room.server`: one room at `epoch`, and the key of the session that posts to it. */
  server(req: Request): Answer {
    const room = new RoomState<ServerMember>(string(req, 'room'), 1000, 300_000);
    room.epoch = hex(req, 'epoch', 16);
    this.#server = { room, author: importPublicKey(hex(req, 'authorKey', 32), { backend: this.backend }) };
    return { ok: true };
  }

  /** @see [ROOM-3.3] */
  post(req: Request): Answer {
    const s = this.#server;
    if (s === undefined) throw new RequestError('no room.server yet');
    const r = checkPost(s.room, hex(req, 'epoch', 16), hex(req, 'post'), s.author, MAX_ENVELOPE);
    if (r === 'duplicate') return { ok: true, duplicate: true };
    if (typeof r === 'string') return { ok: false, code: r };
    return { ok: true, accepted: true, seq: r.seq };
  }

  /** `merkle.verify`: one RFC 9162 inclusion proof of the raw `leaf` ([ROOM-5.2]). */
  merkle(req: Request): Answer {
    const path = req['path'];
    if (!Array.isArray(path)) throw new RequestError('"path" expected an array of hex strings');
    const hashes = path.map((_, i) => hex({ p: path[i]! } as Request, 'p'));
    return { ok: true, valid: verifyInclusion(leafHash(hex(req, 'leaf')), uint(req, 'index'), uint(req, 'count'), hashes, hex(req, 'root')) };
  }

  #needMember(): RoomMember {
    if (this.#member === undefined) throw new RequestError('no room.reset yet');
    return this.#member;
  }

  #drain(): Answer {
    const events = this.#events.splice(0);
    return { ok: true, events };
  }
}

function noticeJson(n: RoomNotice): Json {
  if (n.type === 'position') return { position: { room: n.room, status: n.status, count: n.count, next: n.next } };
  if (n.type === 'gap') return { gap: { room: n.room, keyId: n.keyId, missing: n.missing } };
  return { refused: n.code, room: n.room, ...(n.offset !== undefined ? { offset: n.offset } : {}) };
}
