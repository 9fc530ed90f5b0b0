--[[
  Extends a worker-ID lease if the caller still holds it and it has not run out.
  A lease that ran out stays lost even if nobody took the ID since: its holder may have stopped issuing,
  and the key is in its cooldown.

  Input:
    KEYS[1]  <prefix>:worker-id:<n>
    ARGV[1]  token given to acquire.lua
    ARGV[2]  leaseMs
  Output:
    1   renewed: heldUntil = now + leaseMs (Redis TIME), key lives to heldUntil + leaseMs
    0   taken: the key is missing, a tombstone, or another token's lease
    -1  expired: still this token's, but heldUntil has passed
]]
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local heldUntil, token = string.match(value, '^held:(%d+):(.+)$')
if token ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(heldUntil) <= now then return -1 end
local lease = tonumber(ARGV[2])
redis.call('SET', KEYS[1], 'held:' .. string.format('%.0f', now + lease) .. ':' .. token, 'PX', string.format('%.0f', 2 * lease))
return 1
