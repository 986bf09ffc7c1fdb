#!/usr/bin/env python3
"""Call cycles between object files, from their symbol tables (nm).

usage: callcycles.py [--ignore FILE...] OBJ...

File A calls file B when A has an undefined symbol B defines.  Prints each
strongly connected group of more than one file and exits 1 if there is any.
"""
import subprocess, sys, os
from collections import defaultdict

def syms(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) >= 3}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True).stdout
    undef = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, undef

def main(argv):
    objs = [a for a in argv if a.endswith(".o")]
    names = {o: os.path.basename(o)[:-2] for o in objs}
    owner, uses = {}, {}
    for o in objs:
        d, u = syms(o)
        for s in d:
            owner[s] = names[o]
        uses[names[o]] = u
    graph = defaultdict(set)
    for f, u in uses.items():
        for s in u:
            t = owner.get(s)
            if t and t != f:
                graph[f].add(t)
    # Tarjan
    index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: sccs.append(sorted(comp))
    for v in sorted(uses):
        if v not in index: visit(v)
    for c in sccs:
        print("cycle (%d files): %s" % (len(c), " ".join(c)))
        for a in c:
            print("   %s -> %s" % (a, " ".join(sorted(t for t in graph[a] if t in c))))
    return 1 if sccs else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
