#!/usr/bin/env python3
"""Writes synth.jsonl.gz from presidio-research's labelled synthetic data set.

Usage: extract.py PATH/TO/presidio-research/data/synth_dataset_v2.json

Each line is one sample: its text and its labelled spans, each with the entity type, the
value and its start and end as UTF-8 byte offsets into the text (the source counts
characters). Every span is checked to be the text at its offsets. Nothing but the data set's
own samples is written.
"""
import gzip
import json
import sys


def main(path):
    samples = json.load(open(path, encoding="utf-8"))
    out = gzip.GzipFile("synth.jsonl.gz", "wb", mtime=0)
    for s in samples:
        text = s["full_text"]
        spans = []
        for sp in sorted(s["spans"], key=lambda sp: sp["start_position"]):
            start, end = sp["start_position"], sp["end_position"]
            if text[start:end] != sp["entity_value"]:
                sys.exit("span %r is not the text at %d:%d" % (sp["entity_value"], start, end))
            spans.append({
                "type": sp["entity_type"],
                "value": sp["entity_value"],
                "start": len(text[:start].encode("utf-8")),
                "end": len(text[:end].encode("utf-8")),
            })
        line = json.dumps({"template": s["template_id"], "text": text, "spans": spans}, ensure_ascii=False, sort_keys=True)
        out.write(line.encode("utf-8") + b"\n")
    out.close()


if __name__ == "__main__":
    main(sys.argv[1])
