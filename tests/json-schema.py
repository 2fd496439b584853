#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""json-schema.py - check JSON lines against the one schema, the kinds
and keys documented in man/fcgitool-trace.5.

    json-schema.py [--man PAGE] --lint
        Check the page itself: each kind documented once, each key once
        per kind, every type word known.
    json-schema.py [--man PAGE] [--expect KIND,...] FILE...
        Check that every line of each FILE ("-" is stdin) is one JSON
        object with a documented "kind", that every key path in it is
        documented under that kind with a value of the documented type,
        that no key is repeated, and that each KIND given appeared.

The page documents a kind as ".Ss Kind Li NAME" followed by one
".It Sy PATH [Pq TYPE [or TYPE]...]" per key, PATH being the key path with
nested objects joined by "." and array elements written "[]"
("violations[].code").  A key of type bytes (or of no type given) may
instead appear with "B64" appended, holding base64.  ts, conn and kind
are common to every kind.  Only the python3 standard library is used.
"""
import base64
import binascii
import json
import os
import re
import sys

COMMON = {"ts": {"number"}, "conn": {"string"}, "kind": {"string"}}
TYPES = {"string", "number", "boolean", "array", "object", "bytes", "null"}
KIND_RE = re.compile(r"^\.Ss Kind Li (\S+)\s*$")
KEY_RE = re.compile(r"^\.It Sy (\S+)(?:\s+Pq\s+(.+?))?\s*$")


class Schema:
    def __init__(self):
        self.kinds = {}  # kind -> {path: set of types, or None}
        self.problems = []


def parse_man(path):
    """The kinds and keys of the page, and what is wrong with it."""
    s = Schema()
    kind = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = KIND_RE.match(line)
            if m:
                kind = m.group(1)
                if kind in s.kinds:
                    s.problems.append(
                        f"{path}:{n}: kind '{kind}' is documented twice")
                s.kinds.setdefault(kind, {})
                continue
            if line.startswith(".Ss ") or line.startswith(".Sh "):
                kind = None
                continue
            if kind is None:
                continue
            m = KEY_RE.match(line)
            if not m:
                continue
            key, types = m.group(1), m.group(2)
            keys = s.kinds[kind]
            if key in keys:
                s.problems.append(f"{path}:{n}: kind '{kind}': key '{key}' "
                                  "is documented twice")
            if key in COMMON:
                s.problems.append(f"{path}:{n}: kind '{kind}': '{key}' is "
                                  "common to every kind; do not repeat it")
            if not re.fullmatch(r"[a-z][A-Za-z0-9]*(\[\])?"
                                r"(\.[a-z][A-Za-z0-9]*(\[\])?)*", key):
                s.problems.append(f"{path}:{n}: kind '{kind}': key path "
                                  f"'{key}' is not lowerCamelCase keys "
                                  "joined by '.' with '[]' for arrays")
            if types is None:
                keys[key] = None
                continue
            ts = set(t.strip() for t in types.split(" or "))
            bad = ts - TYPES
            if bad:
                s.problems.append(f"{path}:{n}: kind '{kind}': key '{key}': "
                                  f"unknown type {sorted(bad)}")
            keys[key] = ts
    for kind, keys in s.kinds.items():
        if not keys:
            s.problems.append(f"{path}: kind '{kind}' documents no key")
    return s


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def no_dup_keys(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError(f"key '{k}' appears twice")
        seen.add(k)
    return dict(pairs)


def check_value(where, kind, path, types, v, b64, errs):
    t = json_type(v)
    if b64:
        if t != "string":
            errs.append(f"{where}: kind '{kind}': '{path}B64' is {t}, "
                        "not a base64 string")
            return
        try:
            base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            errs.append(f"{where}: kind '{kind}': '{path}B64' is not "
                        "valid base64")
        return
    if types is None:
        return
    ok = t in types or (t == "string" and "bytes" in types)
    if not ok:
        errs.append(f"{where}: kind '{kind}': '{path}' is {t}, documented "
                    f"as {' or '.join(sorted(types))}")


def walk(where, kind, keys, obj, prefix, errs):
    for k, v in obj.items():
        path = prefix + k
        if prefix == "" and k in COMMON:
            check_value(where, kind, path, COMMON[k], v, False, errs)
            continue
        b64 = False
        if path in keys:
            types = keys[path]
        elif (path.endswith("B64") and path[:-3] in keys and
              (keys[path[:-3]] is None or "bytes" in keys[path[:-3]])):
            b64 = True
            types = keys[path[:-3]]
            if k[:-3] in obj:
                errs.append(f"{where}: kind '{kind}': both '{path[:-3]}' "
                            f"and '{path}'")
            path = path[:-3]
        else:
            errs.append(f"{where}: kind '{kind}': key '{path}' is not "
                        "documented in fcgitool-trace(5)")
            continue
        check_value(where, kind, path, types, v, b64, errs)
        if isinstance(v, dict):
            walk(where, kind, keys, v, path + ".", errs)
        elif isinstance(v, list):
            for e in v:
                if isinstance(e, dict):
                    walk(where, kind, keys, e, path + "[].", errs)


def check_lines(schema, name, f, seen, errs):
    n = 0
    for n, line in enumerate(f, 1):
        where = f"{name}:{n}"
        if not line.endswith("\n"):
            errs.append(f"{where}: the last line has no newline")
        line = line.rstrip("\n")
        try:
            obj = json.loads(line, object_pairs_hook=no_dup_keys)
        except ValueError as e:
            errs.append(f"{where}: not one JSON object: {e}: {line[:200]}")
            continue
        if not isinstance(obj, dict):
            errs.append(f"{where}: not a JSON object: {line[:200]}")
            continue
        kind = obj.get("kind")
        if not isinstance(kind, str):
            errs.append(f"{where}: no \"kind\": {line[:200]}")
            continue
        if kind not in schema.kinds:
            errs.append(f"{where}: kind '{kind}' is not documented in "
                        "fcgitool-trace(5)")
            continue
        seen[kind] = seen.get(kind, 0) + 1
        walk(where, kind, schema.kinds[kind], obj, "", errs)
    return n


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    man = os.path.join(here, "..", "man", "fcgitool-trace.5")
    expect, files, lint = [], [], False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--man" and i + 1 < len(argv):
            man = argv[i + 1]
            i += 2
            continue
        if a == "--expect" and i + 1 < len(argv):
            expect += [k for k in argv[i + 1].split(",") if k]
            i += 2
            continue
        if a == "--lint":
            lint = True
        elif a.startswith("--"):
            print(f"json-schema: unknown option '{a}'", file=sys.stderr)
            return 2
        else:
            files.append(a)
        i += 1
    if not lint and not files:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    schema = parse_man(man)
    errs = list(schema.problems)
    if lint:
        for e in errs:
            print(e)
        if not errs:
            print(f"json-schema: {man}: {len(schema.kinds)} kinds, "
                  f"{sum(len(k) for k in schema.kinds.values())} keys")
        return 1 if errs else 0
    seen, lines = {}, 0
    for name in files:
        if name == "-":
            lines += check_lines(schema, "stdin", sys.stdin, seen, errs)
            continue
        with open(name, encoding="utf-8", errors="surrogateescape") as f:
            lines += check_lines(schema, name, f, seen, errs)
    for k in expect:
        if k not in schema.kinds:
            errs.append(f"--expect: kind '{k}' is not documented")
        elif k not in seen:
            errs.append(f"kind '{k}' was expected but no line has it")
    for e in errs[:50]:
        print(e)
    if len(errs) > 50:
        print(f"... and {len(errs) - 50} more")
    if not errs:
        kinds = ", ".join(f"{k} {seen[k]}" for k in sorted(seen))
        print(f"json-schema: {lines} lines valid ({kinds})")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
