"""Print the labelled addresses of python-email-validator's tests/test_syntax.py as JSON lines:
each address a parametrized case passes to a test, the test's name and whether the test
takes it as valid. Only string literals are read (ast), no code runs.

    git -C python-email-validator show <commit>:tests/test_syntax.py > test_syntax.py
    python3 extract.py test_syntax.py > emails.jsonl
"""
import ast, json, sys

VALID = {"test_email_valid", "test_email_valid_intl_local_part"}
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
for fn in tree.body:
    if not isinstance(fn, ast.FunctionDef):
        continue
    for dec in fn.decorator_list:
        if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
            continue
        cases = dec.args[1]
        if not isinstance(cases, (ast.List, ast.Tuple)):
            continue
        for case in cases.elts:
            if not isinstance(case, (ast.List, ast.Tuple)) or not case.elts:
                continue
            first, last = case.elts[0], case.elts[-1]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if fn.name == "test_pyisemail_tests":
                status = last.value if isinstance(last, ast.Constant) else ""
                valid = status == "ISEMAIL_VALID"
            else:
                valid = fn.name in VALID
            # ASCII escapes keep lone surrogates (a case of invalid input) writable.
            print(json.dumps({"test": fn.name, "valid": valid, "address": first.value}))
