#!/usr/bin/env python3
"""Finds the names that make a unity build of a target unsafe (tests/CMakeLists.txt).

A unity unit compiles several .cc files as one translation unit, so their anonymous
namespaces become one. Two files defining the same name there is a compile error at best;
at worst one file's overload or constant silently replaces what another file meant. The
same goes for a name in one file's anonymous namespace that another file of the target
declares in an enclosing namespace (the inner one wins unqualified lookup there).

  tests/unity_names.py BUILD_DIR SOURCE_DIR...

BUILD_DIR is a tree whose compile_commands.json lists the files one by one (a tree without
unity builds for them: the Release tree for the libraries); each SOURCE_DIR (relative to the
repository) is one target's files. Asks clang (-fsyntax-only -Xclang -ast-list) for every
declaration's qualified name. Not checked: file-scope statics and global-scope names (clang
lists them unqualified, like locals and parameters, which lookup finds first anyway).
Exit status 1 when a clash is found.
"""
import json
import os
import re
import shlex
import subprocess
import sys
from collections import defaultdict

ANONYMOUS = "::(anonymous namespace)::"
PROJECT = "phalanx"  # names in third-party headers' anonymous namespaces are one entity


def declared_names(entry):
    """Qualified names of the declarations the file sees, from clang."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    compiler, rest = args[0], args[1:]
    kept = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-c", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg == entry["file"] or arg.startswith("-fsanitize") or arg == "-MD":
            continue
        kept.append(arg)
    out = subprocess.run([compiler, *kept, "-fsyntax-only", "-Xclang", "-ast-list", entry["file"]],
                         cwd=entry["directory"], check=True, capture_output=True, text=True)
    return set(out.stdout.splitlines())


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, dirs = sys.argv[1], sys.argv[2:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    entries = json.load(open(os.path.join(build, "compile_commands.json")))
    clashes = 0
    for target_dir in dirs:
        prefix = os.path.join(root, target_dir) + os.sep
        files = [e for e in entries
                 if e["file"].startswith(prefix) and os.sep not in e["file"][len(prefix):]]
        names = {e["file"][len(root) + 1:]: declared_names(e) for e in files}
        # anonymous: (enclosing namespace, name) -> files defining it there
        anonymous = defaultdict(set)
        for path, seen in names.items():
            for name in seen:
                if ANONYMOUS in name and name.count(ANONYMOUS) == 1:
                    outer, inner = name.split(ANONYMOUS)
                    if outer.split("::")[0] == PROJECT and "::" not in inner:
                        anonymous[(outer, inner)].add(path)
        for (outer, inner), owners in sorted(anonymous.items()):
            if len(owners) > 1:
                clashes += 1
                print(f"{target_dir}: {outer}::(anonymous)::{inner} in {', '.join(sorted(owners))}")
            # The same name one or more namespaces further out, declared in another file.
            parts = outer.split("::")
            for depth in range(len(parts) - 1, 0, -1):
                qualified = "::".join(parts[:depth] + [inner])
                others = [p for p, seen in names.items() if p not in owners and qualified in seen]
                if others:
                    clashes += 1
                    print(f"{target_dir}: {outer}::(anonymous)::{inner} ({', '.join(sorted(owners))})"
                          f" hides {qualified} seen by {', '.join(sorted(others))}")
                    break
        print(f"{target_dir}: {len(files)} files checked")
    sys.exit(1 if clashes else 0)


if __name__ == "__main__":
    main()
