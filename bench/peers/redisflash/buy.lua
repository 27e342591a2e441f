-- One purchase attempt, atomic inside Redis.
-- KEYS[1] the reservation set, KEYS[2] the SKU's stock counter,
-- KEYS[3] the SKU's winners (hash uid -> seq); ARGV[1] the uid.
-- Returns {code, seq}: 0 sold out, 1 won, 2 already won, 3 not reserved.
local seq = redis.call('HGET', KEYS[3], ARGV[1])
if seq then
  return {2, tonumber(seq)}
end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  return {3, 0}
end
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
if left <= 0 then
  return {0, 0}
end
redis.call('DECR', KEYS[2])
seq = redis.call('HLEN', KEYS[3]) + 1
redis.call('HSET', KEYS[3], ARGV[1], seq)
return {1, seq}
