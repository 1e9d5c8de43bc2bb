-- wrk script for bench/submit.py: a respondent's whole flow, or the form alone.
--
--   wrk ... -s bench/submit.lua <url> -- MODE LINKS_FILE ANSWERS_FILE THREADS
--
-- MODE      "flow": GET a link's form, then POST a complete answer to it
--           with that page's CSRF token and session cookie; "form": GET only;
--           "plain": GET the links, read nothing (the bare endpoint).
-- LINKS     one path per line (/s/<token> or /o/<token>). In "flow" each
--           thread takes its own share of the lines and uses each one once,
--           in order; a line that is an open link (/o/) is used again and
--           again (one answer per fresh browser, which is what wrk is).
-- ANSWERS   the urlencoded answer, without the csrf_token.
--
-- wrk hands responses back without saying which connection they came from,
-- so the script needs no pairing: a form page names its own address (the
-- form's action) and carries its token; its POST is queued and sent on the
-- next free connection, with the cookie that page set.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  local nthreads = tonumber(args[4])
  local all = {}
  for line in io.lines(args[2]) do
    if line ~= "" then all[#all + 1] = line end
  end
  links = {}
  if #all == 1 then
    links = all  -- one link (the open link, the bare endpoint): every thread's
  else
    for i, line in ipairs(all) do
      if (i - 1) % nthreads == id then links[#links + 1] = line end
    end
  end
  local f = assert(io.open(args[3], "r"))
  answers = f:read("*a"):gsub("%s+$", "")
  f:close()
  position = 0
  pending = {}
  -- Counted here, read by done() through thread:get.
  forms, acknowledged, refused, unexpected, exhausted = 0, 0, 0, 0, 0
end

local function next_link()
  if #links == 1 and links[1]:sub(1, 3) == "/o/" then return links[1] end
  if mode ~= "flow" then
    position = position % #links + 1
    return links[position]
  end
  position = position + 1
  if position > #links then
    -- Out of fresh links: GET a used one (a 409) rather than stall, and say so.
    exhausted = exhausted + 1
    return links[#links]
  end
  return links[position]
end

function request()
  local post = table.remove(pending, 1)
  if post then
    return wrk.format("POST", post.path, {
      ["Cookie"] = post.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, answers .. "&csrf_token=" .. post.csrf)
  end
  return wrk.format("GET", next_link())
end

function response(status, headers, body)
  if mode == "plain" then return end
  if status == 200 then
    local csrf = body:match('name="csrf_token" type="hidden" value="([^"]+)"')
    local path = body:match('<form method="post" action="([^"]+)"')
    local cookie = headers["Set-Cookie"]
    if csrf and path and cookie then
      forms = forms + 1
      if mode == "flow" then
        pending[#pending + 1] = {path = path, csrf = csrf, cookie = cookie:match("^[^;]+")}
      end
    else
      unexpected = unexpected + 1
    end
  elseif status == 303 and (headers["Location"] or ""):find("/thanks", 1, true) then
    acknowledged = acknowledged + 1
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local totals = {forms = 0, acknowledged = 0, refused = 0, unexpected = 0, exhausted = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  local errors = summary.errors
  -- One line of JSON for bench/submit.py; wrk's own report is printed above it.
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, ' ..
    '"forms": %d, "acknowledged": %d, "refused": %d, "unexpected": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    totals.forms, totals.acknowledged, totals.refused, totals.unexpected, totals.exhausted))
end
