# The README's Python example: open a session signed with botocore's SigV4 signer.
# Run it against `mandate local` with the agent's keys it printed:
#   AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... python3 examples/call.py http://127.0.0.1:8080
import json, sys
import botocore.session, requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
creds = botocore.session.Session().get_credentials()  # AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
body = json.dumps({"operator": "ada@example.com", "prompt": "look up the contact details of customer 42 to answer their ticket"})
req = AWSRequest("POST", url + "/v1/sessions", data=body, headers={"Content-Type": "application/json"})
SigV4Auth(creds, "execute-api", "us-east-1").add_auth(req)
resp = requests.post(req.url, data=body, headers=dict(req.headers))
print(resp.status_code, json.dumps(resp.json()))
