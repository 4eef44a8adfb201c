#!/bin/sh
# Asks Openflex to send a signed test START to your endpoint (as Dispatch V2 Testing does)
# and prints what your endpoint answered. Needs an API token (API Testing > My API Access
# Tokens) and one of your meterable unit ids (Meterable Units).
#   OPENFLEX_URL=https://openflex.example OPENFLEX_TOKEN=oflx_... \
#   OPENFLEX_UNIT_ID=LuHmGc49c30Hsb872q2d sh send-test-dispatch.sh
set -eu
curl --fail-with-body -sS "$OPENFLEX_URL/graphql" \
  -H "Authorization: Bearer $OPENFLEX_TOKEN" \
  -H 'Content-Type: application/json' \
  --data-binary @- <<JSON
{"query": "mutation(\$m: TestDispatchInput!) { sendTestDispatch(message: \$m) { url success outcome } }",
 "variables": {"m": {"dispatchId": "TEST-0001", "instruction": "START",
   "start": "2025-02-17T16:00:00Z", "end": "2025-02-17T18:00:00Z",
   "powerChangeKw": 250, "meterableUnitIds": "$OPENFLEX_UNIT_ID"}}}
JSON
echo
