#!/usr/bin/env python3
"""Fails when modules of a crate import each other in a loop (ARCHITECTURE.md).

    scripts/module-loops.py api/src service/src rules/src

For each crate source folder, every file is a module; a module depends on the modules
its non-test code names through `crate::…` or `super::…` paths. A parent declaring
its children (and a child naming its ancestors) is structure, not a dependency. Any
strongly connected component of more than one module is a loop, printed with its
members; the exit status is 1 when there is one.
"""

import os
import re
import sys


def modules(root):
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, root)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            with open(path, encoding="utf-8") as source:
                # Test modules may reach anywhere.
                found["::".join(parts)] = source.read().split("#[cfg(test)]")[0]
    return found


def dependencies(name, source, known):
    wanted = set()
    for path in re.findall(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", source):
        parts = path.split("::")
        for end in range(len(parts), 0, -1):
            candidate = "::".join(parts[:end])
            if candidate in known:
                wanted.add(candidate)
                break
    parent = "::".join(name.split("::")[:-1])
    for sibling in re.findall(r"\bsuper::([a-z_][a-z0-9_]*)", source):
        candidate = f"{parent}::{sibling}".strip(":")
        if candidate in known:
            wanted.add(candidate)
    related = lambda other: other == name or other.startswith(name + "::") or name.startswith(other + "::") or other == ""
    return {other for other in wanted if not related(other)}


def loops(graph):
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def main(roots):
    failed = False
    for root in roots:
        known = modules(root)
        graph = {name: dependencies(name, source, known) for name, source in known.items()}
        for component in loops(graph):
            failed = True
            print(f"{root}: modules import each other in a loop: {', '.join(component)}")
    if not failed:
        print(f"no module loops in {', '.join(roots)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
