#!/usr/bin/env bash
# Re-record cassettes/{stripe,easypost,sendgrid,twilio}/checkout_happy_path.yaml.
#
# Starts the stand-in sandbox on 127.0.0.1 in the background and points all four providers at
# it with one --target (their paths do not overlap). Against the real sandboxes: export real test
# keys (STRIPE_API_KEY, EASYPOST_API_KEY, SENDGRID_API_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
# and run the `recorder record` line below without --target.
set -euo pipefail
cd "$(dirname "$0")/../.."          # the repository root: cassettes land in ./cassettes
PYTHON="${PYTHON:-python}"

url_file="$(mktemp)"
"$PYTHON" examples/checkout/sandbox.py > "$url_file" 2>/dev/null &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -f "$url_file"' EXIT
for _ in $(seq 50); do [ -s "$url_file" ] && break; sleep 0.1; done
url="$(head -n1 "$url_file")"

recorder record --provider stripe --provider easypost --provider sendgrid --provider twilio \
  --target "$url" --mode all --name checkout_happy_path \
  -- "$PYTHON" examples/checkout/record_happy_path.py

recorder scan cassettes
