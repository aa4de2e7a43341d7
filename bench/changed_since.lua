-- Delta sync from many phones that last synced at different moments: each request sends
-- as `changed_since` a random cursor among the WRK_WINDOW (200) data versions up to
-- WRK_CURSOR. Each thread seeds its own generator, so threads differ.
local newest = tonumber(os.getenv("WRK_CURSOR") or error("WRK_CURSOR is required"))
local oldest = math.max(0, newest - tonumber(os.getenv("WRK_WINDOW") or "200") + 1)
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
end

function request()
  local cursor = math.random(oldest, newest)
  return wrk.format(nil, string.format("/v1/checkpoints?changed_since=%d&lang=kk", cursor))
end
