-- wrk: POST the text turns of a file, one per request, in turn. Each line is `conversation<TAB>JSON body`.
-- KEFU_PATH is the path with {c} where the conversation goes (/v1/conversations/{c}/messages), or a fixed path.
-- Per-status counts come back through `done` (one wrk thread: -t1).
local lines = {}
local index = 0
local template = os.getenv("KEFU_PATH")
statuses = {}
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(os.getenv("KEFU_BODIES")) do
    local tab = line:find("\t")
    lines[#lines + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)}
  end
end

function request()
  index = index % #lines + 1
  local conversation, body = lines[index][1], lines[index][2]
  local path = template:gsub("{c}", conversation)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local out = {requests = summary.requests, duration_us = summary.duration,
               errors = {connect = summary.errors.connect, read = summary.errors.read, write = summary.errors.write,
                         status = summary.errors.status, timeout = summary.errors.timeout},
               p50_us = latency:percentile(50), p95_us = latency:percentile(95), p99_us = latency:percentile(99),
               max_us = latency.max}
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts["s" .. status] = (counts["s" .. status] or 0) + n end
  end
  out.statuses = counts
  local parts = {}
  for k, v in pairs(out) do
    if type(v) == "table" then
      local inner = {}
      for k2, v2 in pairs(v) do inner[#inner + 1] = string.format('"%s": %d', k2, v2) end
      parts[#parts + 1] = string.format('"%s": {%s}', k, table.concat(inner, ", "))
    else
      parts[#parts + 1] = string.format('"%s": %d', k, v)
    end
  end
  io.write("KEFU_RESULT {" .. table.concat(parts, ", ") .. "}\n")
end
