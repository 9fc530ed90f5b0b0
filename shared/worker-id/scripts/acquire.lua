--[[
  Leases the lowest free worker ID.

  A key is `<prefix>:worker-id:<n>`. While it exists its ID is not free; its value is one of
    "held:<heldUntilMs>:<token>"  leased until heldUntil (Redis TIME), key lives to heldUntil + lease
    "released:<releasedAtMs>"     tombstone written by release.lua, key lives one lease period
  so an ID comes free one lease period after its release, or after its lease ran out unrenewed.

  The marker key (KEYS[33], no TTL) holds the time this store first answered an acquire. A store
  without it is new or was wiped (restarted empty, flushed, a failover to a replica without the data):
  leases handed out before the wipe may still be live in their holders, which stop by their own
  deadline at most one lease period after their last renewal. So a store that has no marker writes it
  and grants nothing until one full lease period later (docs/ids.md has the argument).

  Input:
    KEYS[1..32]  the 32 worker-ID keys, in ID order (KEYS[n + 1] is ID n)
    KEYS[33]     the store marker
    ARGV[1]      token: random, unique to this lease
    ARGV[2]      leaseMs
  Output:
    {1, id}                  the ID leased (key set to held, PX 2 * leaseMs)
    {0, held, coolingDown}   no key free: how many are held by live leases, how many cool down
    {2, waitMs}              the store is new: nothing is granted for waitMs more
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local marker = KEYS[33]
local since = redis.call('GET', marker)
if not since then
  redis.call('SET', marker, string.format('%.0f', now))
  return {2, lease}
end
local left = tonumber(since) + lease - now
if left > 0 then return {2, left} end
local held, cooling = 0, 0
for i = 1, 32 do
  local key = KEYS[i]
  local value = redis.call('GET', key)
  if not value then
    redis.call('SET', key, 'held:' .. string.format('%.0f', now + lease) .. ':' .. ARGV[1], 'PX', string.format('%.0f', 2 * lease))
    return {1, i - 1}
  end
  local heldUntil = string.match(value, '^held:(%d+):')
  if heldUntil and tonumber(heldUntil) > now then
    held = held + 1
  else
    cooling = cooling + 1
  end
end
return {0, held, cooling}
