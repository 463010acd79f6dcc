#!/usr/bin/env python3
"""Writes seed inputs for the tokenizer, chat and cli fuzz targets (input
formats: tests/fuzz/harness.h). Seeds are only a starting point: run.sh merges
them with what a campaign finds into the committed corpora.

usage: make_seeds.py OUT_DIR [SHARED_DIR]   (writes OUT_DIR/{tokenizer,chat,cli})
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def save(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def tokenizer_seeds(out, shared):
    d = os.path.join(out, "tokenizer")
    vocab = os.path.join(shared, "vocab")
    texts = []
    for name in sorted(os.listdir(vocab)):
        if name.endswith(".inp"):
            with open(os.path.join(vocab, name), "rb") as f:
                texts += [t.strip(b"\n") for t in f.read().split(b"\n__ggml_vocab_test__\n")]
    texts = sorted(set(t for t in texts if len(t) < 512))
    texts += [b"\xff\xfe bad \xc3", b"\xed\xa0\x80 surrogate", b"<s> </s> <|endoftext|> [CLS] <unk>",
              b"\x00\x01\x02", b"  \t\n\r\n   x", b"\xf0\x9f\x98\x80" * 10]
    # selector byte: low 6 bits pick one of the 19 tokenizers, top bits the flags
    for i, t in enumerate(texts):
        save(d, bytes([(i % 19) | ((i // 19) % 4) << 6]) + t)


def chat_seeds(out, shared):
    d = os.path.join(out, "chat")
    convo = [("system", "You are a helpful assistant."), ("user", "Hello"), ("assistant", "Hi there"),
             ("user", "Who are you")]
    msgs = b"".join(r.encode() + b"\0" + c.encode() + b"\0" for r, c in convo)
    tdir = os.path.join(shared, "chat-templates")
    for name in sorted(os.listdir(tdir)):
        if name.endswith(".jinja"):
            with open(os.path.join(tdir, name), "rb") as f:
                src = f.read()
            save(d, b"\x02" + src + b"\0" + msgs)
            ctx = {"messages": [{"role": r, "content": c} for r, c in convo], "add_generation_prompt": True,
                   "bos_token": "<s>", "eos_token": "</s>",
                   "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}
            save(d, b"\x01" + src + b"\0" + json.dumps(ctx).encode())
    with open(os.path.join(ROOT, "tests", "chat", "golden.json")) as f:
        for case in json.load(f)["cases"]:
            save(d, b"\x01" + case["template"].encode() + b"\0" + json.dumps(case["context"]).encode())


def cli_seeds(out):
    d = os.path.join(out, "cli")
    lists = [
        ["run", "-m", "m.gguf", "-p", "Once", "-n", "16", "-c", "256", "--temp", "0", "-s", "42"],
        ["run", "--top-k", "40", "--top-p", "0.9", "--min-p", "0.05", "--repeat-penalty", "1.1",
         "--repeat-last-n", "64", "--frequency-penalty", "0.5", "--presence-penalty", "0.5"],
        ["run", "-f", "prompt.txt", "--no-bos", "--no-display-prompt", "-ngl", "99", "--kv-type", "q8_0"],
        ["run", "-b", "32", "-t", "4", "--logits-out", "x.f32", "-v"],
        ["run", "--temp", "-1"], ["run", "-n", "abc"], ["run", "-c"], ["run", "--top-p", "nan"],
        ["run", "-s", "4294967296"], ["run", "-p", "a", "-f", "b"], ["run", "--kv-type", "q4"],
        ["chat", "-m", "m.gguf", "--system", "You are", "-n", "32", "--temp", "0.7",
         "--chat-template-file", "t.jinja", "--kv-type", "f32", "-v"],
        ["chat", "--top-k", "-5"], ["chat", "-c", "99999999999999999999"],
        ["tokenize", "-m", "m.gguf", "-p", "hello", "--pieces", "--parse-special", "--no-bos", "--stats"],
        ["tokenize", "-f", "x"], ["tokenize"], ["tokenize", "-p"],
        ["inspect", "model.gguf", "--json"], ["inspect"], ["inspect", "a", "b"], ["inspect", "--xyz"],
    ]
    for args in lists:
        save(d, b"\0".join(a.encode() for a in args))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared")
    tokenizer_seeds(out, shared)
    chat_seeds(out, shared)
    cli_seeds(out)


if __name__ == "__main__":
    main()
