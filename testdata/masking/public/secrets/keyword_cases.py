"""Print the keyword cases of detect-secrets' tests/plugins/keyword_test.py as JSON lines, one
per file extension the test runs each case under (the "ext" field; "" for its run with no
file name). Only the module's assignments and the argument of parse_test_cases are evaluated:
the strings, their .format calls and LONG_LINE, whose random digit is fixed at 7.

    git -C detect-secrets show 5e141933554a0b74e7341841f318be21e895339c:tests/plugins/keyword_test.py > keyword_test.py
    python3 keyword_cases.py keyword_test.py
"""
import ast, base64, json, sys

src = open(sys.argv[1]).read()
tree = ast.parse(src)
env = {"base64": base64, "randint": lambda a, b: 7, "str": str}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        env[node.targets[0].id] = eval(compile(ast.Expression(node.value), "keyword_test", "eval"), env)
groups = None
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "parse_test_cases":
        groups = eval(compile(ast.Expression(node.args[0]), "keyword_test", "eval"), env)
for ext, cases in groups:
    for line, secret in cases:
        row = {"source": "tests/plugins/keyword_test.py", "type": "secret", "ext": ext or "", "secret": bool(secret), "text": line}
        if secret:
            row["value"] = secret
        print(json.dumps(row, ensure_ascii=False))
