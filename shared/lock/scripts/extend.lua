--[[
  Pushes the lease end of a lock the caller still holds (compare-and-pexpire).

  KEYS[1]  lock key     (<prefix>:lock:{<key>})
  ARGV[1]  token        the caller's token
  ARGV[2]  ttl          new lease length in milliseconds, from now

  Returns  1            extended
           0            not held by this token (expired, released, or taken over): the lease is lost
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
