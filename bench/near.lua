-- "Near me" from phones all over the region: each request asks for the checkpoints within
-- 300 km of a random position in WRK_BOX ("lat_min,lat_max,lon_min,lon_max"), so no two
-- requests share a cache key. Each thread seeds its own generator, so threads differ.
local box = {}
for value in string.gmatch(os.getenv("WRK_BOX") or error("WRK_BOX is required"), "[^,]+") do
  box[#box + 1] = tonumber(value)
end
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
end

function request()
  local lat = box[1] + math.random() * (box[2] - box[1])
  local lon = box[3] + math.random() * (box[4] - box[3])
  local path = string.format("/v1/checkpoints?near=%.5f,%.5f&radius_km=300&lang=kk", lat, lon)
  return wrk.format(nil, path)
end
