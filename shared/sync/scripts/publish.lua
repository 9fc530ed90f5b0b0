--[[
  Appends one sync signal to its channel stream and numbers it.

  KEYS[1]  the channel's stream, `<prefix>:{<app>:<channel>}`
  KEYS[2]  its sequence counter, `<prefix>:{<app>:<channel>}:seq` (same hash slot)
  ARGV[1]  retention: entries kept (XADD MAXLEN)
  ARGV[2]  '~' approximate trim (cheap, keeps at least ARGV[1]) or '=' exact trim
  ARGV[3]  the signal, JSON

  Returns  { entry id, sequence number }

  Entries carry consecutive numbers (field `seq`) so a reader that finds a number larger than the
  one after its last knows entries were trimmed before it read them, and asks for a resync instead
  of silently missing them. Counter and entry are written atomically by this script.
]]
local seq = redis.call('INCR', KEYS[2])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], ARGV[1], '*', 'seq', seq, 'e', ARGV[3])
return { id, seq }
