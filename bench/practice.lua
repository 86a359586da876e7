-- wrk script for bench/practice_wrk.py: each wrk thread holds one connection and plays practice
-- sessions as members do: start a random session, answer every question (right or wrong at random),
-- start the next one, rotating through the members given to this thread.
--
-- Environment: WRK_TOKENS (a file with one "bank_id token" per line), WRK_COUNT (questions a session).
-- Run with as many connections as threads (-t N -c N): request and response then strictly alternate.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  members = {}
  local index = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  for line in io.lines(os.getenv("WRK_TOKENS")) do
    local bank, token = line:match("^(%d+) (%S+)$")
    if bank and index % nthreads == tid then
      table.insert(members, {bank = bank, token = token})
    end
    index = index + 1
  end
  count = os.getenv("WRK_COUNT") or "20"
  math.randomseed(os.time() + tid * 7919)
  turn = 0
  practice = nil
  question = nil
  qtype = nil
  failures = 0
  answered = 0
  started = 0
end

local function choose(kind)
  local right = math.random() < 0.6
  if kind == "judge" then
    return right and "[true]" or "[false]"
  elseif kind == "multiple" then
    return right and '["A","B"]' or '["C"]'
  elseif kind == "fill" then
    return right and '["北京"]' or '["上海"]'
  elseif kind == "short" then
    return '"参考作答"'
  end
  return right and '["A"]' or '["B"]'
end

function request()
  if practice == nil then
    turn = turn + 1
    member = members[(turn % #members) + 1]
    local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. member.token}
    local body = '{"bank_id":' .. member.bank .. ',"mode":"random","count":' .. count .. '}'
    return wrk.format("POST", "/api/practice", headers, body)
  end
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. member.token}
  local body = '{"question_id":' .. question .. ',"answer":' .. choose(qtype) .. '}'
  return wrk.format("POST", "/api/practice/" .. practice .. "/answers", headers, body)
end

function response(status, headers, body)
  if practice == nil then
    if status ~= 201 then
      failures = failures + 1
      return
    end
    started = started + 1
    practice = body:match('^{"id":(%d+)')
    question, qtype = body:match('"question":{"id":(%d+),"bank_id":%d+,"type":"(%a+)"')
  else
    if status ~= 200 then
      failures = failures + 1
      practice = nil
      return
    end
    answered = answered + 1
    question, qtype = body:match('"next":{"id":(%d+),"bank_id":%d+,"type":"(%a+)"')
    if question == nil then
      practice = nil
    end
  end
end

function done(summary, latency, requests)
  local failed, ans, st = 0, 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    ans = ans + thread:get("answered")
    st = st + thread:get("started")
  end
  io.write(string.format("SESSIONS_STARTED %d\nANSWERS %d\nFAILED %d\n", st, ans, failed))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("LATENCY_P%s_MS %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("LATENCY_MAX_MS %.2f\n", latency.max / 1000))
end
