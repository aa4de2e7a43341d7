-- Phones on a holiday: the list and Kordai's own page, in each of the seven languages in
-- turn, gzip accepted, as apps poll them (faults/holiday.py runs it through nginx).
local paths = {}
for _, lang in ipairs({"kk", "ru", "uz", "ky", "tg", "tk", "en"}) do
  paths[#paths + 1] = "/v1/checkpoints?lang=" .. lang
  paths[#paths + 1] = "/v1/checkpoints/kz-kordai?lang=" .. lang
end
local sent = 0

function request()
  sent = sent + 1
  return wrk.format(nil, paths[(sent % #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
