#!/bin/sh
# Sends a readings CSV file (per-minute kW or half-hourly kWh, by its header) to Openflex.
# Sending the same file again with the same Idempotency-Key stores nothing twice.
#   OPENFLEX_URL=https://openflex.example OPENFLEX_TOKEN=oflx_... \
#   sh upload-readings.sh readings-per-minute.csv
set -eu
file=$1
curl --fail-with-body -sS "$OPENFLEX_URL/api/v2/readings/csv" \
  -H "Authorization: Bearer $OPENFLEX_TOKEN" \
  -H 'Content-Type: text/csv' \
  -H "Idempotency-Key: $(basename "$file")-$(cksum < "$file" | cut -d' ' -f1)" \
  --data-binary @"$file"
echo
