#!/usr/bin/env python3
"""Usage: capture.py SCENARIO.txt [PORT] > out.rs (a redis-server 7.0.15 on PORT, default 7811).

Runs scenarios (one command per line, words split on spaces; blank line = new scenario,
each starting from FLUSHALL) against redis-server in RESP2 and RESP3 and prints Rust tuples
(command, resp2 bytes, resp3 bytes)."""
import socket, sys

PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 7811

def conn(proto):
    s = socket.create_connection(("127.0.0.1", PORT))
    f = s.makefile("rb")
    if proto == 3:
        send(s, ["HELLO", "3"]); read(f)
    return s, f

def send(s, words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        w = w.encode()
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    s.sendall(out)

def read(f):
    line = f.readline()
    t = line[:1]
    if t in b"+-:_,#(":
        return line
    if t in b"$=!":
        n = int(line[1:-2])
        if n < 0: return line
        return line + f.read(n + 2)
    if t in b"*~%>":
        n = int(line[1:-2])
        if n < 0: return line
        k = n * 2 if t == b"%" else n
        return line + b"".join(read(f) for _ in range(k))
    raise Exception(line)

def lit(b):
    out = ""
    for c in b:
        if c == 13: out += "\\r"
        elif c == 10: out += "\\n"
        elif c == 34: out += '\\"'
        elif c == 92: out += "\\\\"
        elif 32 <= c < 127: out += chr(c)
        else: out += "\\x%02x" % c
    return out

def run(lines):
    res = {}
    for proto in (2, 3):
        s, f = conn(proto)
        send(s, ["FLUSHALL"]); read(f)
        res[proto] = []
        for l in lines:
            send(s, l.split(" ")); res[proto].append(read(f))
    for i, l in enumerate(lines):
        r2, r3 = res[2][i], res[3][i]
        if r2 == r3:
            print('    ("%s", b"%s", None),' % (lit(l.encode()), lit(r2)))
        else:
            print('    ("%s", b"%s", Some(b"%s")),' % (lit(l.encode()), lit(r2), lit(r3)))

text = open(sys.argv[1]).read()
for block in text.split("\n\n"):
    name = [l[3:] for l in block.split("\n") if l.startswith("## ")]
    lines = [l for l in block.split("\n") if l.strip() and not l.startswith("#")]
    if lines:
        print("const %s: &[Case] = &[" % name[0])
        run(lines)
        print("];\n")
