#!/usr/bin/env bash
# The seed's first three stages on real data: extract (ingest flights-3m as a
# versioned dataset), analyse (profile, with an HTML report), prepare (split by
# month, infer a schema from January, validate June against it).
# Run from the repository root: bash examples/flights/data.sh
set -euo pipefail
orchard() { node "$(dirname "$0")/../../bin/orchard.js" "$@"; }
FLIGHTS="$(node -e "import('./dist/data/sample-data.js').then(m => console.log(m.flightsPath()))")"
OUT="${OUT:-.orchard/reports}"
mkdir -p "$OUT"

orchard data ingest flights "$FLIGHTS"
orchard data profile flights --html "$OUT/flights-profile.html" > /dev/null
orchard data split flights --by-period date --every month
orchard data schema flights-2001-01 --out "$OUT/flights-schema.json"
orchard data validate flights-2001-06 --schema "$OUT/flights-schema.json"
echo "Profile report: $OUT/flights-profile.html"
