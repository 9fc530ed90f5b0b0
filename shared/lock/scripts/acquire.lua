--[[
  Takes a lock if it is free and hands out the next fence, atomically.

  KEYS[1]  lock key     (<prefix>:lock:{<key>}), string value = holder's token, with a PX expiry
  KEYS[2]  fence key    (<prefix>:fence:{<key>}), integer counter, never expires
  ARGV[1]  token        random secret of the new holder
  ARGV[2]  ttl          lease length in milliseconds

  Returns  {1, fence}   acquired; fence = the counter after INCR (only ever grows)
           {0, pttl}    busy; pttl = the holder's remaining lease in ms (a hint for the next retry)

  The counter is bumped only on success, so while a key is held its counter equals the holder's fence.
  A missing counter (a new key, or Redis restarted empty / flushed) starts at Redis TIME in
  microseconds: above every fence handed out before a wipe unless that key was taken more than once
  per microsecond on average since its counter started, so fences keep growing across a wipe.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', KEYS[2], string.format('%.0f', tonumber(t[1]) * 1000000 + tonumber(t[2])))
  end
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
