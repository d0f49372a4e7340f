#!/usr/bin/env bash
# Talks to an MLflow-compatible tracking server (Orchard's, or MLflow's own) with
# nothing but curl: creates an experiment and a run, logs a batch of 1000 metric
# points, reads the whole metric history back page by page, checks it, and prints
# a summary. Exits non-zero on the first failure.
#
#   MLFLOW_TRACKING_URI    server address (default http://127.0.0.1:5000)
#   MLFLOW_TRACKING_TOKEN  API token, sent as "Authorization: Bearer <token>" (optional)
#   POINTS                 how many metric points to log (default 1000)
#   PAGE_SIZE              max_results per metrics/get-history page (default: the server's)
#
# Usage: orchard server &   then   bash examples/mlflow-curl.sh
set -euo pipefail

URI="${MLFLOW_TRACKING_URI:-http://127.0.0.1:5000}"
URI="${URI%/}"
API="$URI/api/2.0/mlflow"
POINTS="${POINTS:-1000}"
BATCH=1000 # MLflow accepts at most 1000 metrics per log-batch call
KEY="loss"

die() {
  echo "mlflow-curl: $*" >&2
  exit 1
}

command -v curl >/dev/null 2>&1 || die "curl is required but not installed."
[[ "$POINTS" =~ ^[1-9][0-9]*$ ]] || die "POINTS must be a positive integer, got '$POINTS'."
PAGE_SIZE="${PAGE_SIZE:-}"
[[ -z "$PAGE_SIZE" || "$PAGE_SIZE" =~ ^[1-9][0-9]*$ ]] || die "PAGE_SIZE must be a positive integer, got '$PAGE_SIZE'."

AUTH=()
if [[ -n "${MLFLOW_TRACKING_TOKEN:-}" ]]; then AUTH=(-H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN"); fi

BODY_FILE="$(mktemp)"
trap 'rm -f "$BODY_FILE"' EXIT

# request METHOD PATH [curl args…] — prints the response body; dies with the server's message on a non-2xx answer.
request() {
  local method=$1 path=$2
  shift 2
  local status
  status=$(curl -sS -o "$BODY_FILE" -w '%{http_code}' -X "$method" ${AUTH[@]+"${AUTH[@]}"} "$@" "$API/$path") ||
    die "cannot reach $URI ($method /api/2.0/mlflow/$path); is the server running? Start one with \`orchard server\`."
  if [[ "$status" != 2* ]]; then
    die "$method /api/2.0/mlflow/$path answered HTTP $status: $(cat "$BODY_FILE")"
  fi
  cat "$BODY_FILE"
}

# post PATH JSON — POSTs a JSON body read from stdin, so large batches never hit the argument length limit.
post() {
  request POST "$1" -H 'Content-Type: application/json' --data-binary @- <<<"$2"
}

# get PATH NAME=VALUE… — GET with URL-encoded query parameters.
get() {
  local path=$1
  shift
  local args=() pair
  for pair in "$@"; do args+=(--data-urlencode "$pair"); done
  request GET "$path" -G ${args[@]+"${args[@]}"}
}

# field NAME — the first string value of "NAME" in the JSON on stdin (empty when absent).
field() {
  { grep -o "\"$1\" *: *\"[^\"]*\"" || true; } | sed -n '1s/.*: *"\(.*\)"$/\1/p'
}

# 1. An experiment with a name nobody has used yet.
NAME="curl-example-$(date +%s)-$$"
EXPERIMENT_ID=$(post experiments/create "{\"name\": \"$NAME\"}" | field experiment_id)
[[ -n "$EXPERIMENT_ID" ]] || die "experiments/create returned no experiment_id."

# 2. A run in it.
START_MS=$(($(date +%s) * 1000))
RUN_JSON=$(post runs/create "{\"experiment_id\": \"$EXPERIMENT_ID\", \"run_name\": \"curl-$POINTS-points\", \"start_time\": $START_MS}")
RUN_ID=$(field run_id <<<"$RUN_JSON")
[[ "$RUN_ID" =~ ^[0-9a-f]{32}$ ]] || die "runs/create returned no usable run_id: $RUN_JSON"
ARTIFACT_URI=$(field artifact_uri <<<"$RUN_JSON")

# 3. The metric points, a falling loss (POINTS-i)/1000 at step i, in batches of at most $BATCH.
batches=0
for ((from = 0; from < POINTS; from += BATCH)); do
  metrics=""
  for ((i = from; i < from + BATCH && i < POINTS; i++)); do
    left=$((POINTS - i))
    printf -v point '{"key": "%s", "value": %d.%03d, "timestamp": %d, "step": %d}' "$KEY" $((left / 1000)) $((left % 1000)) $((START_MS + i)) "$i"
    metrics+="${metrics:+, }$point"
  done
  post runs/log-batch "{\"run_id\": \"$RUN_ID\", \"metrics\": [$metrics]}" >/dev/null
  batches=$((batches + 1))
done
post runs/log-parameter "{\"run_id\": \"$RUN_ID\", \"key\": \"points\", \"value\": \"$POINTS\"}" >/dev/null

# 4. The full history back, following next_page_token.
STEPS_FILE="$(mktemp)"
trap 'rm -f "$BODY_FILE" "$STEPS_FILE"' EXIT
pages=0
token=""
last_value=""
while :; do
  params=("run_id=$RUN_ID" "metric_key=$KEY")
  [[ -n "$PAGE_SIZE" ]] && params+=("max_results=$PAGE_SIZE")
  [[ -n "$token" ]] && params+=("page_token=$token")
  page=$(get metrics/get-history "${params[@]}")
  pages=$((pages + 1))
  { grep -o '"step" *: *"\{0,1\}[0-9]*' <<<"$page" || true; } | sed 's/.*[^0-9]//' >>"$STEPS_FILE"
  value=$({ grep -o '"value" *: *[^,}]*' <<<"$page" || true; } | sed -n '$s/.*: *//p')
  [[ -n "$value" ]] && last_value=$value
  token=$(field next_page_token <<<"$page")
  [[ -z "$token" ]] && break
  ((pages < 10000)) || die "metrics/get-history kept returning next_page_token after $pages pages."
done

# 5. Check what came back: every step exactly once, 0 … POINTS-1.
count=$(wc -l <"$STEPS_FILE" | tr -d ' ')
distinct=$(sort -n -u "$STEPS_FILE" | wc -l | tr -d ' ')
first=$(sort -n "$STEPS_FILE" | sed -n '1p')
last=$(sort -n "$STEPS_FILE" | sed -n '$p')
[[ "$count" == "$POINTS" ]] || die "logged $POINTS points of '$KEY' but the history holds $count."
[[ "$distinct" == "$POINTS" && "$first" == 0 && "$last" == $((POINTS - 1)) ]] ||
  die "the history of '$KEY' should hold steps 0..$((POINTS - 1)) once each; got $distinct distinct steps from $first to $last."

# 6. Close the run.
post runs/update "{\"run_id\": \"$RUN_ID\", \"status\": \"FINISHED\", \"end_time\": $(($(date +%s) * 1000))}" >/dev/null
STATUS=$(get runs/get "run_id=$RUN_ID" | field status)
[[ "$STATUS" == FINISHED ]] || die "the run should be FINISHED after runs/update, but it is '$STATUS'."

echo "MLflow REST API at $URI"
echo "  experiment  $NAME (id $EXPERIMENT_ID)"
echo "  run         $RUN_ID ($STATUS)"
echo "  artifacts   $ARTIFACT_URI"
echo "  logged      $POINTS points of '$KEY' in $batches log-batch call(s)"
echo "  read back   $count points in $pages page(s), steps $first..$last, last value $last_value"
echo "OK"
