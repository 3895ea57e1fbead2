-- POST a body of BENCH_UPLOAD_BYTES bytes (default 1 MiB) to the path given on the command line.
local size = tonumber(os.getenv("BENCH_UPLOAD_BYTES") or "1048576")
local block = string.rep("0123456789abcdef", 4096) -- 64 KiB
local parts = {}
for i = 1, math.floor(size / #block) do parts[i] = block end
wrk.method = "POST"
wrk.body = table.concat(parts) .. string.sub(block, 1, size % #block)
wrk.headers["Content-Type"] = "application/octet-stream"
