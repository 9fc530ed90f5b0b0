--[[
  Fenced write: stores a value only if its fence is not lower than the highest fence already written.

  KEYS[1]  data key     a hash with fields `value` and `fence`
  ARGV[1]  value        string to store
  ARGV[2]  fence        the writer's fencing token (integer)

  Returns  1            written (fence >= stored fence; equal lets one holder write several times)
           0            refused: a holder with a newer fence has written, this writer's lease is over
]]
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[2]) < stored then
  return 0
end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'fence', ARGV[2])
return 1
