--[[
  Takes a lock if it is free and hands out the next fence, atomically.

  KEYS[1]  lock key     (<prefix>:lock:{<key>}), string value = holder's token, with a PX expiry
  KEYS[2]  fence key    (<prefix>:fence:{<key>}), integer counter, never expires
  ARGV[1]  token        random secret of the new holder
  ARGV[2]  ttl          lease length in milliseconds

  Returns  {1, fence}   acquired; fence = the counter after INCR (only ever grows)
           {0, pttl}    busy; pttl = the holder's remaining lease in ms (a hint for the next retry)

  The counter is bumped only on success, so while a key is held its counter equals the holder's fence.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
