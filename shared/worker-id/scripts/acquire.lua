--[[
  Leases the lowest free worker ID.

  A key is `<prefix>:worker-id:<n>`. While it exists its ID is not free; its value is one of
    "held:<heldUntilMs>:<token>"  leased until heldUntil (Redis TIME), key lives to heldUntil + lease
    "released:<releasedAtMs>"     tombstone written by release.lua, key lives one lease period
  so an ID comes free one lease period after its release, or after its lease ran out unrenewed.

  Input:
    KEYS[1..32]  the 32 worker-ID keys, in ID order (KEYS[n + 1] is ID n)
    ARGV[1]      token: random, unique to this lease
    ARGV[2]      leaseMs
  Output:
    {1, id}                  the ID leased (key set to held, PX 2 * leaseMs)
    {0, held, coolingDown}   no key free: how many are held by live leases, how many cool down
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local held, cooling = 0, 0
for i, key in ipairs(KEYS) do
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
