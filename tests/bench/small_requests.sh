#!/usr/bin/env bash
# Benchmark: small requests at the machine's limit, side by side in one run with nginx (Debian's)
# serving the same 4 KiB file, and optionally another s3strict binary (an older build).
#   tests/bench/small_requests.sh [OTHER_S3STRICT_BINARY]
# Needs wrk and nginx (apt-get install wrk nginx-light; apache2-utils for the HEAD row). Keep-alive connections, wrk -t2 -c32
# -d10s, release build. Prints one table: requests per second, p50 and p99 latency, and the
# ratio to nginx's GET of the same run; then the time from process start to /_s3strict/ready.
# Not part of tests/run: it needs a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
other=${1:-}
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool is needed (Debian package)" >&2; exit 2; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release --locked --bin s3strict >/dev/null 2>&1
venv=tests/clients/.venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r tests/clients/python/requirements.txt; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
duration=${S3STRICT_BENCH_SECONDS:-10}

# wrk's summary of one run: "req/s p50 p99".
measure() {
    local out
    out=$(wrk -t2 -c32 -d"${duration}s" --latency "$@")
    echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="50%" {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}

# nginx on an ephemeral port (picked by Python), serving a 4 KiB file.
mkdir -p "$work/nginx/html" "$work/nginx/logs"
head -c 4096 /dev/zero | tr '\0' x > "$work/nginx/html/k"
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
    server { listen 127.0.0.1:$port; root $work/nginx/html; }
}
CONF
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
sleep 0.5

# A started s3strict: its endpoint, a presigned GET of a 4 KiB object and a presigned PUT.
start_s3strict() {
    local bin=$1 dir=$2
    "$bin" serve --addr 127.0.0.1:0 --data "$dir/data" >"$dir/out" 2>/dev/null &
    echo $! > "$dir/pid"
    for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.05; done
    "$venv/bin/python" - "$(sed -n 's/^listening on //p' "$dir/out")" > "$dir/urls" <<'PY'
import sys
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="bench")
s3.put_object(Bucket="bench", Key="k", Body=b"x" * 4096)
s3.create_bucket(Bucket="thousand")
for i in range(1000):
    s3.put_object(Bucket="thousand", Key=f"key-{i:04}", Body=b"")
url = lambda method, **p: s3.generate_presigned_url(method, Params=p, ExpiresIn=3600)
print(url("get_object", Bucket="bench", Key="k"))
print(url("put_object", Bucket="bench", Key="w"))
print(url("head_object", Bucket="bench", Key="k"))
print(url("list_objects_v2", Bucket="thousand", MaxKeys=1000))
print(url("delete_object", Bucket="bench", Key="absent"))
PY
}

cat > "$work/put.lua" <<'LUA'
wrk.method = "PUT"
wrk.body = string.rep("x", 4096)
LUA
echo 'wrk.method = "DELETE"' > "$work/delete.lua"

printf '%-38s %12s %10s %10s %8s\n' "measure" "req/s" "p50" "p99" "ratio"
read -r nginx_rps nginx_p50 nginx_p99 <<<"$(measure "http://127.0.0.1:$port/k")"
printf '%-38s %12s %10s %10s %8s\n' "nginx GET 4 KiB" "$nginx_rps" "$nginx_p50" "$nginx_p99" "1.00"
row() {
    local label=$1 rps=$2 p50=$3 p99=$4
    printf '%-38s %12s %10s %10s %8.3f\n' "$label" "$rps" "$p50" "$p99" "$(echo "$rps / $nginx_rps" | bc -l)"
}
binaries=("target/release/s3strict")
[ -n "$other" ] && binaries+=("$other")
for bin in "${binaries[@]}"; do
    name=$([ "$bin" = "target/release/s3strict" ] && echo "s3strict" || echo "other")
    dir=$(mktemp -d -p "$work")
    start_s3strict "$bin" "$dir"
    get=$(sed -n 1p "$dir/urls")
    put=$(sed -n 2p "$dir/urls")
    read -r rps p50 p99 <<<"$(measure "$get")"
    row "$name presigned GET 4 KiB" "$rps" "$p50" "$p99"
    read -r rps p50 p99 <<<"$(measure -s "$work/put.lua" "$put")"
    row "$name presigned PUT 4 KiB (one key)" "$rps" "$p50" "$p99"
    # wrk waits for a body after a HEAD answer's Content-Length; ab (-i) does not.
    if command -v ab >/dev/null; then
        out=$(ab -k -i -c 32 -t "$duration" "$(sed -n 3p "$dir/urls")" 2>&1)
        row "$name HeadObject (ab)" "$(echo "$out" | awk '/Requests per second/ {print $4}')" \
            "$(echo "$out" | awk '$1=="50%" {print $2 "ms"}')" "$(echo "$out" | awk '$1=="99%" {print $2 "ms"}')"
    fi
    read -r rps p50 p99 <<<"$(measure "$(sed -n 4p "$dir/urls")")"
    row "$name ListObjectsV2 (1000 keys)" "$rps" "$p50" "$p99"
    read -r rps p50 p99 <<<"$(measure -s "$work/delete.lua" "$(sed -n 5p "$dir/urls")")"
    row "$name DeleteObject" "$rps" "$p50" "$p99"
    kill "$(cat "$dir/pid")"
    # From process start to /ready answering, on an empty data directory (best of 5).
    best=""
    for _ in 1 2 3 4 5; do
        fresh=$(mktemp -d -p "$work")
        t=$("$venv/bin/python" - "$bin" "$fresh" <<'PY'
import subprocess, sys, time, urllib.request
start = time.perf_counter()
p = subprocess.Popen([sys.argv[1], "serve", "--addr", "127.0.0.1:0", "--data", sys.argv[2] + "/d"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
endpoint = p.stdout.readline().strip().removeprefix("listening on ")
while True:
    try:
        urllib.request.urlopen(endpoint + "/_s3strict/ready").read()
        break
    except OSError:
        time.sleep(0.001)
print(f"{(time.perf_counter() - start) * 1000:.1f}")
p.terminate()
p.wait()
PY
)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    printf '%-38s %12s\n' "$name start to ready (ms)" "$best"
done
