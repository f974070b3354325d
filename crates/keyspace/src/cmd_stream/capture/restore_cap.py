"""Prints the payload and XINFO replies of `tests_dump.rs` (run from this directory)."""
import sys
sys.argv = ["x", "/dev/null"] + sys.argv[1:2]
exec(open("capture.py").read().split("text = open")[0])
s, f = conn(2)
def cmd(*w):
    send(s, list(w)); return read(f)
cmd("FLUSHALL")
for i in range(1, 131):
    cmd("xadd", "s", f"{i}-1", "f", str(i), *( ["g", "x"*30] if i % 5 == 0 else []))
cmd("xdel", "s", "3-1", "50-1", "101-1")
cmd("xtrim", "s", "minid", "5")
cmd("xgroup", "create", "s", "g", "0")
cmd("xreadgroup", "group", "g", "alice", "count", "4", "streams", "s", ">")
cmd("xreadgroup", "group", "g", "bob", "count", "2", "streams", "s", ">")
cmd("xclaim", "s", "g", "bob", "0", "5-1", "time", "1700000000000", "retrycount", "9")
cmd("xgroup", "createconsumer", "s", "g", "carol")
cmd("xgroup", "create", "s", "g2", "120-1")
payload = cmd("dump", "s")
n = payload.index(b"\r\n")
body = payload[n+2:-2]
print("const PAYLOAD_HEX: &str = \"%s\";" % body.hex())
for c in (["xinfo","stream","s","full","count","0"], ["xinfo","stream","s"], ["xrange","s","-","+","count","3"]):
    print("// %s" % " ".join(c))
    print("b\"%s\"," % lit(cmd(*c)))
