#!/usr/bin/env bash
# Benchmark: presigned GET of a 4 KiB object with wrk (new connection per request), through this
# tree's release build and, side by side in the same run, another s3strict binary (an older
# build, to see what a change costs). Prints requests per second and the server's CPU time per
# request, which is steadier than throughput on a busy machine. Not part of tests/run.
#   tests/bench/presigned_get.sh [OTHER_S3STRICT_BINARY] [ROUNDS]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
other=${1:-}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 2; }
cargo build --release --locked --bin s3strict >/dev/null 2>&1
venv=tests/clients/.venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r tests/clients/python/requirements.txt; }

run() {
    local bin=$1 label=$2 work pid endpoint url before after out reqs
    work=$(mktemp -d)
    "$bin" serve --addr 127.0.0.1:0 --data "$work/data" >"$work/out" 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
    endpoint=$(sed -n 's/^listening on //p' "$work/out")
    url=$("$venv/bin/python" - "$endpoint" <<'PY'
import sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="bench")
s3.put_object(Bucket="bench", Key="k", Body=b"x" * 4096)
print(s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "k"}, ExpiresIn=3600))
PY
)
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$(wrk -t2 -c16 -d8s -H "Connection: close" "$url")
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    printf '%-10s %8s req/s  %6s us CPU/request\n' "$label" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(python3 -c "print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / $reqs, 1))")"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}

for _ in $(seq "$rounds"); do
    [ -n "$other" ] && run "$other" other
    run target/release/s3strict this
done
