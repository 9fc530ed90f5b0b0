--[[
  Takes a lock if it is free and hands out the next fence, atomically.

  KEYS[1]  lock key     (<prefix>:lock:{<key>}), string value = holder's token, with a PX expiry
  KEYS[2]  fence key    (<prefix>:fence:{<key>}), integer counter, never expires
  ARGV[1]  token        random secret of the new holder
  ARGV[2]  ttl          lease length in milliseconds

  Returns  {1, fence}   acquired; fence = the counter after INCR, raised to Redis's clock in ms
                        when it is behind it (only ever grows)
           {0, pttl}    busy; pttl = the holder's remaining lease in ms (a hint for the next retry)

  The counter is bumped only on success, so while a key is held its counter equals the holder's fence.
  The clock floor keeps fences growing across a Sentinel failover to a replica that missed the last
  acquisitions (replication is asynchronous): the new primary's clock is past every fence handed out
  before, as long as the failover takes longer than the two servers' clocks differ and no key was
  taken more than once per millisecond on average. The script replicates its effects (Redis >= 5
  default), so TIME is allowed before the writes.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if fence < now then
    redis.call('SET', KEYS[2], now)
    fence = now
  end
  return {1, fence}
end
return {0, redis.call('PTTL', KEYS[1])}
