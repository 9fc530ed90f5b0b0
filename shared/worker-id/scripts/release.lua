--[[
  Releases a worker-ID lease into its cooldown. The key is NOT deleted: it becomes a tombstone that
  lives one lease period, so the ID is not handed out again before every ID its holder issued is at
  least one lease period old.

  Input:
    KEYS[1]  <prefix>:worker-id:<n>
    ARGV[1]  token given to acquire.lua
    ARGV[2]  leaseMs
  Output:
    1   released: value "released:<nowMs>", PX leaseMs
    0   not this token's lease (missing, tombstone, another token): nothing changed
]]
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local token = string.match(value, '^held:%d+:(.+)$')
if token ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], 'released:' .. string.format('%.0f', now), 'PX', ARGV[2])
return 1
