#!/bin/sh
# Checks a dispatch message's signature with openssl, e.g. one your receiver logged:
#   OPENFLEX_SIGNING_SECRET=whsec_... sh verify-signature.sh \
#     "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$WEBHOOK_SIGNATURE" body.json
# body.json must hold the body exactly as received (no added newline).
set -eu
id=$1 timestamp=$2 signature=$3 body=$4
# The key is the base64 after "whsec_"; openssl takes it as hex.
key=$(printf %s "${OPENFLEX_SIGNING_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')
expected=$( { printf '%s.%s.' "$id" "$timestamp"; cat "$body"; } \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | openssl base64 -A)
# The header may carry several space-separated signatures; one match is enough.
for candidate in $signature; do
  if [ "$candidate" = "v1,$expected" ]; then
    echo "signature valid"
    exit 0
  fi
done
echo "signature INVALID" >&2
exit 1
