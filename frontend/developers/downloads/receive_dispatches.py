"""Receives Openflex dispatch messages: checks each signature, answers at once, and acts on
each message once, however often it is retried.

    pip install standardwebhooks
    OPENFLEX_SIGNING_SECRET=whsec_... python3 receive_dispatches.py 8000

Openflex posts to {base url}/dispatch, so with the base URL https://fsp.example/openflex
this serves https://fsp.example/openflex/dispatch behind your TLS proxy.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["OPENFLEX_SIGNING_SECRET"])
# Keep these in your database: a retry can arrive after a restart.
handled = set()


def act_on(message):
    """Your system's part: start or stop the units, or plan from a schedule."""
    if message["test"]:
        return  # Dispatch V2 Testing: check and answer, never act.
    print("act on", message["instruction"], message.get("dispatch_id"), flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        if not self.path.endswith("/dispatch"):
            self.send_response(404)
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            # The raw bytes, exactly as received: a re-encoded body would not verify.
            message = webhook.verify(body, dict(self.headers))
        except WebhookVerificationError as error:
            print("refused:", error, flush=True)
            self.send_response(401)
            self.end_headers()
            return
        # Answer within 10 s, before the work: a slow answer is retried.
        self.send_response(204)
        self.end_headers()
        webhook_id = self.headers["webhook-id"]
        if webhook_id in handled:
            return
        handled.add(webhook_id)
        print("verified", message["type"], webhook_id, json.dumps(message), flush=True)
        act_on(message)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    print(f"listening on http://127.0.0.1:{port}/dispatch", flush=True)
    server.serve_forever()
