"""Writes nodes.txt, the scenario of `tests_captured_nodes.rs`."""
lines = ["## NODES"]
for i in range(1, 251):
    lines.append(f"xadd s {i}-1 a {i}")
lines += ["xinfo stream s", "xtrim s maxlen ~ 120", "xlen s", "xtrim s maxlen ~ 120 limit 10",
          "xtrim s maxlen = 120", "xinfo stream s", "xtrim s minid ~ 240", "xlen s",
          "xinfo stream s full count 2", "xinfo stream s full count 0", "xinfo stream s full count -5"]
v = "x" * 300
for i in range(1, 40):
    lines.append(f"xadd b {i}-0 field{i % 3} {v}")
lines += ["xinfo stream b", "xtrim b maxlen ~ 20", "xlen b", "xinfo stream b"]
for i in range(1, 120):
    lines.append(f"xadd c {i * 1000}-{i} f {i * 12345} g -{i}")
lines += ["xinfo stream c", "xdel c 1000-1 2000-2", "xtrim c minid ~ 100000-0", "xlen c",
          "xinfo stream c", "xtrim c minid 105000", "xinfo stream c"]
open("nodes.txt", "w").write("\n".join(lines) + "\n")
