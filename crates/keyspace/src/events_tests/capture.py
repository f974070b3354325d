#!/usr/bin/env python3
"""Runs cases.txt against a redis-server 7.0 on PORT and writes the keyspace events it
publishes (as `event db key` lines) to captured.txt, which events_tests.rs replays against
Meridian. Usage, from this directory:
    redis-server --port 7797 --save '' --enable-debug-command yes --daemonize yes
    python3 capture.py 7797
    redis-cli -p 7797 shutdown nosave
Commands must not block (BLPOP with a short timeout on a missing key is fine)."""
import codecs, shlex, socket, sys, time

PORT = int(sys.argv[1])


def conn():
    s = socket.create_connection(("127.0.0.1", PORT))
    return s, s.makefile("rb")


def send(sock, args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


def read(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":"):
        return rest
    if t == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    n = int(rest)
    return None if n < 0 else [read(f) for _ in range(n)]


def arg(tok):
    return codecs.escape_decode(tok.encode())[0]


def cases():
    name, cmds = None, []
    for line in open("cases.txt"):
        line = line.rstrip("\n")
        if line.startswith("#") or not line:
            continue
        if line.startswith("=== "):
            if name:
                yield name, cmds
            name, cmds = line[4:], []
        else:
            cmds.append(line)
    if name:
        yield name, cmds


def main():
    cs, cf = conn()
    for c in (["CONFIG", "SET", "notify-keyspace-events", "EAnm"], ["DEBUG", "SET-ACTIVE-EXPIRE", "0"]):
        send(cs, [x.encode() for x in c]); print(read(cf))
    ss, sf = conn()
    send(ss, [b"PSUBSCRIBE", b"__keyevent@*", b"mark"]); read(sf); read(sf)
    out = []
    for name, cmds in cases():
        send(cs, [b"FLUSHALL"]); read(cf)
        send(cs, [b"SELECT", b"0"]); read(cf)
        send(cs, [b"PUBLISH", b"mark", b"x"]); read(cf)
        while read(sf)[2] != b"mark":
            pass
        out.append("=== " + name)
        for cmd in cmds:
            if cmd.startswith("@+"):
                ms, cmd = cmd[2:].split(" ", 1)
                time.sleep(int(ms) / 1000)
                out.append("@+" + ms + " " + cmd)
            else:
                out.append("> " + cmd)
            send(cs, [arg(t[1:-1] if t.startswith('"') else t) for t in shlex.split(cmd, posix=False)])
            reply = read(cf)
            send(cs, [b"PUBLISH", b"mark", b"x"]); read(cf)
            while True:
                msg = read(sf)
                if msg[2] == b"mark":
                    break
                chan = msg[2].decode()
                db, event = chan[len("__keyevent@"):].split("__:", 1)
                out.append("< %s %s %s" % (event, db, msg[3].decode("latin1")))
    send(cs, [b"FLUSHALL"]); read(cf)
    open("captured.txt", "w").write("\n".join(out) + "\n")


main()
