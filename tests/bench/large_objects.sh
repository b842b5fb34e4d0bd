#!/usr/bin/env bash
# Benchmark: large single PUT/GET and a multipart Complete through a release build, side by side
# with the machine's own disk as the reference (dd write, cat read, cp copy) in the same run.
# Reports throughput ratios and the server's peak RSS (VmHWM), which must not grow with the
# object size. Not part of tests/run (it writes several GiB).
#   tests/bench/large_objects.sh [SIZE_MIB]   (default 1024)
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-1024}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --locked --bin s3strict >/dev/null 2>&1
venv=tests/clients/.venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r tests/clients/python/requirements.txt; }

target/release/s3strict --addr 127.0.0.1:0 --data "$work/data" >"$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/out")
rss() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
secs() { python3 -c "import time; print(time.monotonic())"; }
rate() { python3 -c "print(f'{$size_mib / ($2 - $1):.0f}')"; }

dd if=/dev/urandom of="$work/src" bs=1M count="$size_mib" status=none
rss0=$(rss)

# Reference: the same bytes through the disk alone.
t0=$(secs); dd if="$work/src" of="$work/ref" bs=1M conv=fdatasync status=none; t1=$(secs)
t2=$(secs); cat "$work/ref" >/dev/null; t3=$(secs)
ref_write=$(rate "$t0" "$t1"); ref_read=$(rate "$t2" "$t3")

urls=$("$venv/bin/python" - "$endpoint" <<'PY'
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
s3.create_bucket(Bucket="bench")
print(s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": "big"}, ExpiresIn=3600))
print(s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "big"}, ExpiresIn=3600))
PY
)
put_url=$(echo "$urls" | sed -n 1p); get_url=$(echo "$urls" | sed -n 2p)
t0=$(secs); curl -sf -X PUT -T "$work/src" "$put_url" >/dev/null; t1=$(secs)
rss_put=$(rss)
t2=$(secs); curl -sf "$get_url" -o /dev/null; t3=$(secs)
rss_get=$(rss)
put=$(rate "$t0" "$t1"); get=$(rate "$t2" "$t3")

# Multipart: 100 MiB parts, then Complete (parts concatenated into the object).
t4=$(secs)
"$venv/bin/python" - "$endpoint" "$work/src" <<'PY'
import sys, boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  config=Config(s3={"addressing_style": "path"}))
mib = 1024 * 1024
s3.upload_file(sys.argv[2], "bench", "multi",
               Config=TransferConfig(multipart_threshold=100 * mib, multipart_chunksize=100 * mib, max_concurrency=2))
PY
t5=$(secs)
rss_mpu=$(rss)
mpu=$(rate "$t4" "$t5")
t6=$(secs); cp "$work/src" "$work/ref2"; t7=$(secs)
ref_copy=$(rate "$t6" "$t7")

printf 'object: %s MiB\n' "$size_mib"
printf '%-34s %8s %12s %7s\n' operation "MiB/s" "reference" ratio
printf '%-34s %8s %12s %7s\n' "PUT (presigned, curl)" "$put" "$ref_write" "$(python3 -c "print(f'{$put/$ref_write:.2f}')")"
printf '%-34s %8s %12s %7s\n' "GET (presigned, curl)" "$get" "$ref_read" "$(python3 -c "print(f'{$get/$ref_read:.2f}')")"
printf '%-34s %8s %12s %7s\n' "multipart upload + Complete (boto3)" "$mpu" "$ref_copy" "$(python3 -c "print(f'{$mpu/$ref_copy:.2f}')")"
printf 'server peak RSS: idle %s KiB, after PUT %s KiB, after GET %s KiB, after multipart %s KiB\n' \
    "$rss0" "$rss_put" "$rss_get" "$rss_mpu"
