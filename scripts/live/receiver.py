"""A webhook receiver for scripts/live-check.sh: verifies each message's signature with
the `standardwebhooks` package (PyPI; an implementation independent of siloscope's)
and appends {id, type, verified, payload} to a file, one JSON line per message.

Usage: receiver.py PORT SECRET_FILE LOG_FILE
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT, SECRET_FILE, LOG_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with open(SECRET_FILE) as f:
            secret = f.read().strip()
        try:
            Webhook(secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        payload = json.loads(body)
        with open(LOG_FILE, "a") as log:
            log.write(json.dumps({
                "id": headers.get("webhook-id"),
                "type": payload.get("type"),
                "verified": verified,
                "payload": payload,
            }) + "\n")
        self.send_response(204 if verified else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
