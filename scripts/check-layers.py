#!/usr/bin/env python3
# check-layers.py: keeps the Cutter module layered, and keeps C at its edge.
#
# 1. Each direct sub-folder of Sources/Cutter/ is a layer. A folder F depends on a
#    folder G when code in F (comments and string literals stripped) names a type
#    declared at top level in G, or extends one. The folder graph must have no cycles,
#    so that every layer can be read, tested and changed knowing only the layers below
#    it. Files directly in Sources/Cutter/ form "(root)", the composition root: it may
#    depend on anything, and nothing may depend on it.
# 2. Only the files listed in C_WRAPPERS may import the package's C modules (CLibevent,
#    CHiredis); everything else talks to the Swift types that wrap them, so that C
#    pointers, callbacks and unsafe memory stay in a few audited files.
#
# Standard library only, no arguments, runs from any directory. Exit 0 when the layers
# are sound (prints the graph in layer order), 1 otherwise (prints what to fix).

import bisect
import os
import re
import sys
from collections import defaultdict

# C module -> the files allowed to import it ("…/" = every Swift file under that folder).
C_WRAPPERS = {
    "CLibevent": ["Sources/Cutter/Loop/"],
    "CHiredis": [
        "Sources/Cutter/ConfigStore/RedisConnection.swift",
        "Sources/Cutter/ConfigStore/RedisReply.swift",
    ],
}

ROOT_NODE = "(root)"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(REPO, "Sources")
MODULE_DIR = os.path.join(SOURCES, "Cutter")


# ---------------------------------------------------------------------------------------
# Lexing: blank out comments and string literals (keeping string interpolations, which
# are code), preserving every newline and column so that line numbers stay correct.

def strip_comments_and_strings(src):
    out = list(src)
    n = len(src)

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def block_comment(i):  # src[i:i+2] == "/*"; Swift block comments nest
        start, depth = i, 0
        while i < n:
            if src.startswith("/*", i):
                depth += 1
                i += 2
            elif src.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    break
            else:
                i += 1
        blank(start, i)
        return i

    def string(i):  # at the first '#' or '"' of a literal; returns the index after it
        start = i
        hashes = 0
        while i < n and src[i] == "#":
            hashes += 1
            i += 1
        multi = src.startswith('"""', i)
        i += 3 if multi else 1
        closer = ('"""' if multi else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        seg = start  # start of the current run of literal text
        while i < n:
            if src.startswith(escape, i):
                j = i + len(escape)
                if j < n and src[j] == "(":  # interpolation: code until the matching ')'
                    blank(seg, j + 1)
                    i = code(j + 1, stop_at_paren=True)
                    seg = i  # the ')' itself is blanked with the following text
                    continue
                i = j + 1  # any other escape: skip the escaped character
                continue
            if src.startswith(closer, i):
                i += len(closer)
                break
            if src[i] == "\n" and not multi:
                break  # unterminated single-line string: stop at end of line
            i += 1
        blank(seg, i)
        return i

    def code(i, stop_at_paren=False):
        depth = 0
        while i < n:
            c = src[i]
            if c == "/" and src.startswith("//", i):
                j = src.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
            elif c == "/" and src.startswith("/*", i):
                i = block_comment(i)
            elif c == '"' or (c == "#" and re.match(r'#+"', src[i:i + 16])):
                i = string(i)
            elif c == "(":
                depth += 1
                i += 1
            elif c == ")":
                if stop_at_paren and depth == 0:
                    return i  # caller blanks the ')' as part of the string
                depth -= 1
                i += 1
            else:
                i += 1
        return i

    code(0)
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Source scanning.

MODIFIER = r"(?:@[\w.]+(?:\([^)\n]*\))?\s+|(?:public|package|internal|fileprivate|private|open|final|indirect|nonisolated)\s+)"
TOP_DECL = re.compile(r"^(" + MODIFIER + r"*)(?:class|struct|enum|protocol|actor|typealias)\s+`?(\w+)", re.M)
ANY_DECL = re.compile(r"\b(?:class|struct|enum|protocol|actor|typealias)\s+`?(\w+)")
IDENT = re.compile(r"\b([A-Za-z_]\w*)")
IMPORT = re.compile(
    r"^[ \t]*(?:@[\w.]+(?:\([^)\n]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private|open)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?(\w+)", re.M)


def rel(path):
    return os.path.relpath(path, REPO)


def swift_files(top):
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".swift"))
    return found


def folder_of(path):
    parts = os.path.relpath(path, MODULE_DIR).split(os.sep)
    return ROOT_NODE if len(parts) == 1 else parts[0]


def line_of(offset, starts):  # starts: offsets where lines begin
    return bisect.bisect_right(starts, offset)


def load(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return strip_comments_and_strings(f.read())


def main():
    if not os.path.isdir(MODULE_DIR):
        print(f"check-layers: {rel(MODULE_DIR)} not found (repo root guessed as {REPO})", file=sys.stderr)
        return 2

    errors = []

    # -- 1. the folder graph of the Cutter module ------------------------------------------
    files = swift_files(MODULE_DIR)
    code = {p: load(p) for p in files}
    folders = sorted({folder_of(p) for p in files} - {ROOT_NODE})
    nodes = folders + ([ROOT_NODE] if any(folder_of(p) == ROOT_NODE for p in files) else [])

    declared_in = {}              # top-level type name -> file that declares it
    local_names = defaultdict(set)  # folder -> every type name it declares, at any depth
    for p in files:
        f = folder_of(p)
        for m in TOP_DECL.finditer(code[p]):
            if re.search(r"\b(?:private|fileprivate)\b", m.group(1)):
                continue  # invisible outside its file
            declared_in.setdefault(m.group(2), p)
        local_names[f].update(ANY_DECL.findall(code[p]))

    # edges[F][G] = list of (file, line, name, verb)
    edges = defaultdict(lambda: defaultdict(list))
    for p in files:
        f = folder_of(p)
        text = code[p]
        starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        for m in IDENT.finditer(text):
            name = m.group(1)
            decl = declared_in.get(name)
            if decl is None:
                continue
            g = folder_of(decl)
            if g == f or name in local_names[f]:
                continue  # same folder, or shadowed by a type of this folder
            a = m.start()
            before = text[max(0, a - 16):a]
            if before.endswith(".") and not re.search(r"\bCutter\.$", before):
                continue  # a member (`x.Name`, `Outer.Name`), not the top-level type
            verb = "extends" if re.search(r"\bextension\s+$", text[max(0, a - 24):a]) else "uses"
            edges[f][g].append((p, line_of(a, starts), name, verb))

    # Edges into (root) are reported on their own below and kept out of the cycle search.
    deps = {f: sorted(g for g in edges[f] if g != ROOT_NODE) for f in nodes}

    # Anything depending on the composition root is wrong on its own.
    for f in nodes:
        if ROOT_NODE in edges[f]:
            p, line, name, verb = edges[f][ROOT_NODE][0]
            errors.append(
                f"{f} depends on the composition root: {rel(p)}:{line} {verb} {name} "
                f"(declared in {os.path.relpath(declared_in[name], MODULE_DIR)}).\n"
                f"  Nothing may depend on (root): move {name} into a folder, or have the root pass "
                f"{f} what it needs (a value, a closure or a protocol declared in {f}).")

    # Strongly connected components (Tarjan), then a topological order of them.
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []

    def tarjan(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in deps[v]:
            if w not in index:
                tarjan(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(sorted(comp))

    for v in nodes:
        if v not in index:
            tarjan(v)

    # Layer order of the condensation: a component's level is one more than the highest
    # level it depends on (Tarjan emits dependencies first); lowest first, then by name.
    comp_of = {v: i for i, comp in enumerate(sccs) for v in comp}
    level = {}
    for i, comp in enumerate(sccs):
        below = {comp_of[w] for v in comp for w in deps[v]} - {i}
        level[i] = 1 + max((level[j] for j in below), default=-1)
    order = sorted(range(len(sccs)), key=lambda i: (sccs[i] == [ROOT_NODE], level[i], sccs[i]))

    def shortest_path(src, dst, within):  # BFS inside one component
        prev, queue = {src: None}, [src]
        for v in queue:
            if v == dst:
                break
            for w in deps[v]:
                if w in within and w not in prev:
                    prev[w] = v
                    queue.append(w)
        path, v = [], dst
        while v is not None:
            path.append(v)
            v = prev[v]
        return path[::-1]

    cycles = [sccs[i] for i in order if len(sccs[i]) > 1]
    for comp in cycles:
        inside = set(comp)
        # The shortest loop through each edge, deduplicated by rotation, shortest first.
        loops = {}
        for f in comp:
            for g in deps[f]:
                if g in inside:
                    loop = [f] + shortest_path(g, f, inside)[:-1]
                    k = loop.index(min(loop))
                    loop = loop[k:] + loop[:k]
                    loops[tuple(loop)] = loop
        loops = sorted(loops.values(), key=lambda l: (len(l), l))
        lines = [f"cycle among {len(comp)} folders: {', '.join(comp)}"]
        lines.append("  loops (shortest through each edge):")
        for loop in loops[:12]:
            arrow = " <-> " if len(loop) == 2 else " -> "
            lines.append("    " + arrow.join(loop + ([] if len(loop) == 2 else [loop[0]])))
        if len(loops) > 12:
            lines.append(f"    ... and {len(loops) - 12} more")
        lines.append("  edges inside the cycle (first use of each; break any edge of every loop):")
        for f in comp:
            for g in deps[f]:
                if g not in inside:
                    continue
                uses = edges[f][g]
                p, line, name, verb = uses[0]
                nfiles = len({u[0] for u in uses})
                names = sorted({u[2] for u in uses})
                count = (f"  [{len(uses)} uses in {nfiles} file{'s' if nfiles != 1 else ''}:"
                         f" {', '.join(names)}]") if len(uses) > 1 else ""
                lines.append(f"    {f} -> {g}: {rel(p)}:{line} {verb} {name} "
                             f"(declared in {os.path.relpath(declared_in[name], MODULE_DIR)}){count}")
        lines.append("  To break an edge F -> G: move the types F needs out of G into a lower folder that "
                     "both may use (such as Vocabulary/), or invert it with a protocol declared in F (now "
                     "the lower folder) that G conforms to, the two wired together in the composition root.")
        errors.append("\n".join(lines))

    # -- 2. C modules are imported only by their wrappers -------------------------------
    def allowed(path, module):
        r = rel(path).replace(os.sep, "/")
        return any(r.startswith(a) if a.endswith("/") else r == a for a in C_WRAPPERS[module])

    importers = defaultdict(list)
    for p in swift_files(SOURCES):
        text = code[p] if p in code else load(p)
        starts = None
        for m in IMPORT.finditer(text):
            module = m.group(1)
            if module not in C_WRAPPERS:
                continue
            if starts is None:
                starts = [0] + [mm.end() for mm in re.finditer(r"\n", text)]
            line = line_of(m.start(1), starts)
            if allowed(p, module):
                importers[module].append(p)
            else:
                errors.append(
                    f"{rel(p)}:{line} imports {module}; only {', '.join(C_WRAPPERS[module])} may.\n"
                    f"  Use the Swift API of those wrappers instead (add what you need there), or, if this "
                    f"file really is a new C wrapper, add it to C_WRAPPERS in {rel(os.path.abspath(__file__))}.")

    # A C module in Sources/ that the allow-list does not know about is not checked at all.
    for entry in sorted(os.listdir(SOURCES)):
        d = os.path.join(SOURCES, entry)
        if os.path.isfile(os.path.join(d, "module.modulemap")) and entry not in C_WRAPPERS:
            errors.append(f"Sources/{entry} is a C module but is not in C_WRAPPERS; add it there "
                          f"with the files allowed to import it.")

    if errors:
        for e in errors:
            print("error: " + e, file=sys.stderr)
        n_imp = sum(1 for e in errors if " imports C" in e.split("\n")[0])
        cyc = (f"{len(cycles)} cycle{'s' if len(cycles) != 1 else ''} among "
               f"{sum(len(c) for c in cycles)} folders") if cycles else "no cycles"
        print(f"layers FAILED: {cyc}, {n_imp} C import violation{'s' if n_imp != 1 else ''}"
              f" ({len(errors)} error{'s' if len(errors) != 1 else ''})", file=sys.stderr)
        return 1

    # -- 3. summary ------------------------------------------------------------------
    for i in order:
        (f,) = sccs[i]
        print(f"{f} -> {', '.join(deps[f]) if deps[f] else '(nothing)'}")

    def wrapper_summary(module):
        paths = sorted(set(importers[module]))
        shown = []
        for a in C_WRAPPERS[module]:
            hit = [p for p in paths if allowed(p, module) and
                   (rel(p).startswith(a) if a.endswith("/") else rel(p) == a)]
            if hit:
                shown.append(f"{a} ({len(hit)} files)" if a.endswith("/") else a)
        return f"{module} by {', '.join(shown) if shown else 'nobody'}"

    print(f"layers OK: {len(folders)} folders{' + (root)' if ROOT_NODE in nodes else ''}, no cycles; "
          f"C imported only by: {'; '.join(wrapper_summary(m) for m in C_WRAPPERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
