// The one Lua script behind shared limits (spec/policy.md §4.1): each call is one atomic step in
// Redis, whichever node sends it. KEYS: the identity's new-session bucket, its connection entries,
// its message bucket, all under one hash tag. ARGV[1] names the step.
import { toHex } from '../bytes.js';
import { sha1 } from '../crypto/sha1.js';

// Time is Redis's (TIME), not the node's: every node's charge refills by one clock, and a lease
// ends at the same moment for all ([POL-4.4]). A bucket is a hash {v: tokens, t: ms}; connection
// entries are a sorted set of node:slot by the end of their lease. Numbers are doubles: ms since
// the epoch are exact, and '%.0f' writes them without an exponent.
export const LIMIT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local function num(x) return string.format('%.0f', x) end
-- Takes up to n tokens (gives -n back when n < 0) and returns how many it took. A bucket back to
-- full is deleted, and one that is not expires when it would be: a new bucket says the same, so an
-- idle identity leaves nothing behind.
local function bucket(key, rate, burst, n)
  local s = redis.call('HMGET', key, 'v', 't')
  local v, last = tonumber(s[1]), tonumber(s[2])
  if v == nil or last == nil then v, last = burst, now end
  if now > last then
    v = math.min(burst, v + (now - last) * rate / 1000)
    last = now
  end
  local took = 0
  if n < 0 then
    v = math.min(burst, v - n)
  else
    took = math.min(n, math.floor(v))
    v = v - took
  end
  if v >= burst then
    redis.call('DEL', key)
  else
    redis.call('HSET', key, 'v', string.format('%.6f', v), 't', num(last))
    redis.call('PEXPIRE', key, math.ceil((burst - v) * 1000 / rate) + 1)
  end
  return took
end
-- Entries whose lease ended count no more ([POL-4.6]); the set lives as long as its longest lease.
local function expire(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', num(now))
  local top = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', key, top[2]) end
end
if op == 'admit' then
  -- [POL-4.3]: the session's token first, then the cap over every node's live entries.
  if bucket(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), 1) < 1 then return 'ERR_RATE_LIMITED' end
  expire(KEYS[2])
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'ERR_TOO_MANY_CONNECTIONS' end
  redis.call('ZADD', KEYS[2], num(now + tonumber(ARGV[6])), ARGV[5])
  expire(KEYS[2])
  return 'ok'
elseif op == 'renew' then
  -- Upserts: an entry the store lost (a restart) counts again while its connection lives.
  local ends = num(now + tonumber(ARGV[2]))
  for i = 3, #ARGV do redis.call('ZADD', KEYS[2], ends, ARGV[i]) end
  expire(KEYS[2])
  return 'ok'
elseif op == 'release' then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 'ok'
elseif op == 'grant' then
  return bucket(KEYS[3], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
end
return redis.error_reply('unknown step')
`;

export const LIMIT_SCRIPT_SHA1 = toHex(sha1(new TextEncoder().encode(LIMIT_SCRIPT)));
