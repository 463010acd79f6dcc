#!/usr/bin/env python3
"""Differential fuzzing of glint's chat templates against Python Jinja2.

Two generators: random expressions over a fixed context, and random
mutations of the real templates in ../shared/chat-templates. Each case is
rendered by Jinja2 (as Hugging Face configures it) and by glint's
chat_render_cases helper; outputs must match byte for byte, runtime errors
must carry the same "Type: message", syntax errors just have to be errors.

Usage: python3 tests/chat/diff_fuzz.py BUILD_DIR [seed] [count]
  (build the helper first: cmake --build BUILD_DIR --target chat_render_cases)
"""
import copy
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

CTX = {"s": "Hello World", "e": "", "n": 7, "f": 2.5, "z": 0, "l": [3, 1, 2], "ls": ["b", "A", "c"],
       "d": {"b": 1, "a": "x"}, "m": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
       "nn": None, "t": True, "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u <b>"},
                                           {"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}],
       "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>"}
ATOMS = ["s", "e", "n", "f", "z", "l", "ls", "d", "m", "nn", "t", "u", "1", "0", "-2", "3.5", "'ab'", "''", "'a,b'",
         "[1, 2]", "[]", "{'k': 1}", "none", "true", "false", "(1, 'x')", "m[0]", "m[0].role", "d.a", "d['b']", "l[0]",
         "s[1:4]", "l[::-1]", "u.x"]
FILTERS = ["length", "upper", "lower", "trim", "first", "last", "list", "join(',')", "default('D')", "default('D', true)",
           "string", "int", "float", "abs", "round", "round(1)", "tojson", "sort", "unique|list", "reverse|list",
           "items|list", "dictsort", "capitalize", "title", "replace('l', 'L')", "sum", "min", "max", "select|list",
           "map('string')|list", "count", "selectattr('role', 'equalto', 'user')|list", "map(attribute='role')|join",
           "batch(2)|list", "indent(2)", "center(9)", "wordcount", "e", "safe", "truncate(5)", "list|length",
           "format(1)", "reject('odd')|list", "tojson(indent=2)"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "iterable", "sequence", "mapping", "odd",
         "even", "true", "false", "boolean", "divisibleby(2)", "equalto(1)", "in([1, 'ab'])", "lower", "upper"]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or"]
METHODS = [".upper()", ".lower()", ".split()", ".split(',')", ".strip()", ".startswith('H')", ".endswith('d')",
           ".replace('o', '0')", ".title()", ".find('o')", ".count('l')", ".items()|list", ".keys()|list", ".get('a')",
           ".get('q', 3)", ".values()|list", ".index(1)", ".format(1)", ".join(['a', 'b'])", ".isdigit()",
           ".rstrip('d')", ".capitalize()"]
FRAGS = ["{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "|", ".", "\n", " ", "  ", "\t", "~", "not ",
         "-%}", "{%-", "{{-", "-}}", "\n\n", "{% if true %}", "{% endif %}", "{{ 1 }}", "{# x #}"]


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime(2026, 1, 2).strftime(fmt)
    return env


def expr(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.25:
        return rng.choice(ATOMS)
    sub = lambda: expr(rng, depth - 1)  # noqa: E731
    if r < 0.45:
        return sub() + "|" + rng.choice(FILTERS)
    if r < 0.6:
        return "(" + sub() + " " + rng.choice(BINOPS) + " " + sub() + ")"
    if r < 0.7:
        return "(" + sub() + " is " + rng.choice(["", "not "]) + rng.choice(TESTS) + ")"
    if r < 0.8:
        return sub() + rng.choice(METHODS)
    if r < 0.87:
        return "(" + sub() + " if " + sub() + " else " + sub() + ")"
    if r < 0.92:
        return "(not " + sub() + ")"
    if r < 0.96:
        return "(-" + sub() + ")"
    return "[" + sub() + ", " + sub() + "][" + rng.choice(["0", "-1", "1:", "::-1", "5"]) + "]"


def mutate(rng, text):
    for _ in range(rng.randint(1, 4)):
        if not text:
            break
        p = rng.randrange(len(text))
        k = rng.randrange(3)
        if k == 0:
            text = text[:p] + text[p + rng.randint(1, 10):]
        elif k == 1:
            text = text[:p] + rng.choice(FRAGS) + text[p:]
        else:
            q = rng.randrange(len(text))
            text = text[:p] + text[q:q + rng.randint(1, 30)] + text[p:]
    return text


def main():
    build = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    rng = random.Random(seed)
    shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "chat-templates")
    corpus = []
    if os.path.isdir(shared):
        corpus = [open(os.path.join(shared, f), encoding="utf-8").read()
                  for f in sorted(os.listdir(shared)) if f.endswith(".jinja")]
    cases = []
    for i in range(count):
        if corpus and i % 2:
            cases.append({"template": mutate(rng, rng.choice(corpus)), "context": CTX})
        else:
            cases.append({"template": "{{ " + expr(rng, 3) + " }}", "context": CTX})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
        path = f.name
    helper = os.path.join(build, "tests", "chat", "chat_render_cases")
    res = json.loads(subprocess.run([helper, path], capture_output=True, text=True, check=True).stdout)
    os.unlink(path)
    env = make_env()
    agree = 0
    mismatches = []
    for c, r in zip(cases, res):
        try:
            want, werr = env.from_string(c["template"]).render(**copy.deepcopy(c["context"])), None
        except RecursionError:
            agree += 1
            continue
        except jinja2.exceptions.TemplateSyntaxError:
            want, werr = None, "SYNTAX"
        except Exception as e:  # noqa: BLE001
            want, werr = None, type(e).__name__ + ": " + str(e)
        got_err = r.get("err", "")
        ok = ((werr is None and r.get("out") == want) or (werr == "SYNTAX" and "syntax error" in got_err)
              or (werr not in (None, "SYNTAX") and werr in got_err))
        if ok or (want is not None and " at 0x" in want):  # Python object addresses cannot match
            agree += 1
        else:
            mismatches.append((c["template"], want if werr is None else werr, r.get("out", got_err)))
    for tpl, want, got in mismatches[:20]:
        print("template:", repr(tpl)[:600])
        print("  jinja2:", repr(want)[:300])
        print("  glint: ", repr(got)[:300])
    print(f"seed {seed}: {agree}/{len(cases)} agree, {len(mismatches)} differ")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
