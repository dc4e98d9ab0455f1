"""Writes cases.jsonl from the snapshot tests of secretlint's rules.

    python3 extract.py path/to/packages/@secretlint > cases.jsonl

Each rule package's test/snapshots/<case>/ holds an input file and the output.json secretlint
must produce for it. A case named ng.* is a text with secrets in it, and each message of its
output names one: the value is the message's first data field that occurs in the text,
otherwise the text its range covers. A case named ok.* is a text in which the rule must find
nothing. A case named otherwise is one or the other as its output has messages or none. Cases that depend on a rule's options (options.*, or a .secretlintrc.json of their
own) and rules that do not look for secret values (home directories, .env file names,
Kubernetes manifests, comment filters, user patterns, examples) are left out, as are binary
inputs; a text that
two packages share (the presets repeat their rules' cases) is kept once. Only the files are
read; no secretlint code runs.
"""
import json
import sys
from pathlib import Path

SKIP = {"no-homedir", "no-dotenv", "no-k8s-kind-secret", "filter-comments", "pattern", "example",
        "internal-test-cjs", "internal-test-esm", "preset-recommend", "preset-canary"}


def main():
    root = Path(sys.argv[1])
    seen = set()
    for pkg in sorted(root.glob("secretlint-rule-*")):
        rule = pkg.name.removeprefix("secretlint-rule-")
        if rule in SKIP:
            continue
        for case in sorted((pkg / "test" / "snapshots").glob("*")):
            kind = case.name.split(".", 1)[0]
            if kind == "options" or (case / ".secretlintrc.json").exists():
                continue
            inputs = [p for p in case.iterdir() if p.name.startswith("input")]
            out = case / "output.json"
            if len(inputs) != 1 or not out.exists():
                continue
            data = json.loads(out.read_text())
            if kind not in ("ng", "ok"):  # a case named for what it holds: its output says
                kind = "ng" if data.get("messages") else "ok"
            text = data.get("sourceContent")
            if text is None:
                try:
                    text = inputs[0].read_text()
                except UnicodeDecodeError:
                    continue  # a binary input (a key file in DER)
            values = []
            for m in data.get("messages", []):
                v = next((d for d in (m.get("data") or {}).values() if isinstance(d, str) and len(d) >= 8 and d in text), None)
                if v is None:
                    a, b = m["range"]
                    v = text[a:b]
                if v and v not in values:
                    values.append(v)
            if kind == "ng" and not values:
                continue
            if (kind, text) in seen:
                continue
            seen.add((kind, text))
            print(json.dumps({"rule": rule, "case": case.name, "file": inputs[0].name, "kind": kind,
                              "text": text, "values": values}, ensure_ascii=False))


if __name__ == "__main__":
    main()
