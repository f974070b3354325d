-- Redis 7.0's sandbox on a stock Lua 5.1: Redis patches Lua with read-only tables; here every
-- library table and the globals are seen through read-only proxies instead.
local real_G, handler_impl, as_table = ...
local rawget, rawset, setmetatable, getmetatable = rawget, rawset, setmetatable, getmetatable
local error, type, tostring, pairs = error, type, tostring, pairs
local protected = setmetatable({}, {__mode = 'k'})
-- proxy -> the table it shows, so that next/pairs see through proxies.
local proxied = setmetatable({}, {__mode = 'k'})
local real_redis = rawget(real_G, 'redis')

local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end

local function readonly(t)
  local mt = {__index = t, __newindex = readonly_error}
  local proxy = setmetatable({}, mt)
  protected[proxy] = true
  proxied[proxy] = t
  return proxy
end

for _, name in pairs({'string', 'math', 'table', 'coroutine', 'cjson', 'struct', 'cmsgpack',
                      'bit', 'redis'}) do
  if type(rawget(real_G, name)) == 'table' then
    rawset(real_G, name, readonly(rawget(real_G, name)))
  end
end

-- The string metatable is read-only too (CVE-2025-46818): getmetatable('') answers a proxy.
local smt = getmetatable('')
if smt then
  smt.__index = rawget(real_G, 'string')
  smt.__metatable = readonly(smt)
end

local function nonexistent(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
local function nonexistent_index(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

-- Globals are looked up in a table (fast), which raises for a missing name; the table is the
-- globals, or the library API while FUNCTION LOAD runs.
setmetatable(real_G, {__index = nonexistent_index})
local G = {}
local gmt = {__index = real_G, __newindex = readonly_error}
gmt.__metatable = readonly(gmt)
setmetatable(G, gmt)
protected[G] = true
protected[gmt] = true
rawset(real_G, '_G', G)
proxied[G] = real_G

-- FUNCTION LOAD's globals: only a `redis` with register_function, log and the constants
-- (function_lua.c's library API).
local load_extra = {}
local load_allowed = {log = true, LOG_DEBUG = true,
  LOG_VERBOSE = true, LOG_NOTICE = true, LOG_WARNING = true, REDIS_VERSION = true,
  REDIS_VERSION_NUM = true}
local load_redis = setmetatable({}, {
  __index = function(_, k)
    if load_allowed[k] then return rawget(real_redis, k) end
    if rawget(load_extra, k) ~= nil then return rawget(load_extra, k) end
    nonexistent(k)
  end,
  __newindex = readonly_error,
})
protected[load_redis] = true
local load_api = setmetatable({redis = load_redis}, {__index = nonexistent_index})
local function set_loading(on)
  if on then gmt.__index = load_api else gmt.__index = real_G end
end

local rawxpcall = xpcall
rawset(real_G, '__redis__err__handler', handler_impl)

local function run(f, keys, args)
  if keys == nil then return rawxpcall(f, handler_impl) end
  return rawxpcall(function() return f(keys, args) end, handler_impl)
end

-- xpcall's message handler sees an error raised by the engine as Redis's table, as in Redis.
local function wrap_handler(h)
  return function(e) return h(as_table(e)) end
end

-- setmetatable, rawset, rawget, next, pairs, pcall, xpcall, coroutine.resume, loadstring and
-- load are replaced in Rust (overrides.rs): as C functions they keep the calling frame on
-- `return f(...)`, so errors point at the script's line, as Redis's C functions do.
return G, run, set_loading, load_extra, protected, proxied, wrap_handler
