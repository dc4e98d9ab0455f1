"""Writes cases.jsonl from presidio-analyzer's recognizer tests.

    python3 extract.py path/to/presidio-analyzer/tests > cases.jsonl

Each @pytest.mark.parametrize case of the tests below whose text and expected spans are
literals becomes one line: the test file, the entity type this project claims, the text, the
number of results the test expects and their spans as UTF-8 byte offsets. Only the test
sources are parsed (Python's ast, literals only); no presidio code runs. Cases built by a
function call (update_iban_checksum) and the phone tests that vary leniency are left out.
"""
import ast
import json
import sys
from pathlib import Path

FILES = {
    "test_us_ssn_recognizer.py": "ssn",
    "test_credit_card_recognizer.py": "card",
    "test_email_recognizer.py": "email",
    "test_iban_recognizer.py": "iban",
    "test_ip_recognizer.py": "ip",
    "test_phone_recognizer.py": "phone",
}


def byte_offset(text, i):
    return len(text[:i].encode("utf-8"))


def cases(path, entity):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                continue
            names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(",")]
            if "leniency" in names:
                continue
            text_at = names.index("text") if "text" in names else names.index("iban")
            len_at = names.index("expected_len")
            pos_at = next(i for i, n in enumerate(names) if "positions" in n or n == "expected_res")
            for elt in dec.args[1].elts:
                try:
                    case = ast.literal_eval(elt)
                except ValueError:
                    continue  # built by a call
                text, want, spans = case[text_at], case[len_at], case[pos_at]
                if want == 1 and not spans:
                    spans = ((0, len(text)),)  # the test names no position: the whole text
                yield {
                    "file": path.name,
                    "test": node.name,
                    "entity": entity,
                    "text": text,
                    "expected_len": want,
                    "spans": [[byte_offset(text, s), byte_offset(text, e)] for s, e in spans],
                }


def main():
    root = Path(sys.argv[1])
    for name, entity in FILES.items():
        for c in cases(root / name, entity):
            print(json.dumps(c, ensure_ascii=False))


if __name__ == "__main__":
    main()
