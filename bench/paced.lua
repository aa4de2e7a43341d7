-- Paces each wrk connection: WRK_DELAY_MS between requests, so that the total rate is
-- about connections * 1000 / WRK_DELAY_MS requests per second.
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "10")
function delay()
  return delay_ms
end
