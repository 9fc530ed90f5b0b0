--[[
  Ends a lock the caller still holds (compare-and-delete).

  KEYS[1]  lock key     (<prefix>:lock:{<key>})
  ARGV[1]  token        the caller's token

  Returns  1            released
           0            not held by this token (expired, released, or taken over): nothing deleted
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
