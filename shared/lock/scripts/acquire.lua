--[[
  Takes a lock if it is free and hands out the next fence, atomically.

  KEYS[1]  lock key     (<prefix>:lock:{<key>}), string value = holder's token, with a PX expiry
  KEYS[2]  fence key    (<prefix>:fence:{<key>}), integer counter, never expires
  KEYS[3]  epoch key    (<prefix>:fence-epoch:{<key>}), the replication ID of the server that last
                        bumped the counter, never expires
  ARGV[1]  token        random secret of the new holder
  ARGV[2]  ttl          lease length in milliseconds

  Returns  {1, fence}   acquired; fence = the counter after INCR (only ever grows)
           {0, pttl}    busy; pttl = the holder's remaining lease in ms (a hint for the next retry)

  The counter is bumped only on success, so while a key is held its counter equals the holder's fence.
  When the server is not the one that last bumped it (a Sentinel failover promoted a replica, or Redis
  restarted: both change master_replid), the counter may have lost its last increments (replication
  is asynchronous, a restart may lose the tail of the AOF), so it is first raised to the server's clock
  in microseconds (below 2^53 until the year 2255; fine-grained enough that the lost tail, at most one
  increment per round trip, cannot reach it even when the switch comes right after the last bump): a fence handed out after a failover is above every fence handed out before it, as
  long as the failover takes longer than the two servers' clocks differ. The script replicates its
  effects (the Redis >= 5 default), so INFO and TIME may come before the writes.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local epoch = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or ''
  if redis.call('GET', KEYS[3]) ~= epoch then
    local time = redis.call('TIME')
    -- Built as text: a Lua number this large would be sent to Redis in exponent form, which INCR refuses.
    local now = time[1] .. string.format('%06d', tonumber(time[2]))
    if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(now) then redis.call('SET', KEYS[2], now) end
    redis.call('SET', KEYS[3], epoch)
  end
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
