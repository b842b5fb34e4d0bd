#!/bin/sh
# The build steps of docker/Dockerfile, kept in a script so that they also run, and are tested
# (docker/check), where no Docker engine runs.
#   build.sh deps       in a directory holding only Cargo.toml and Cargo.lock: compiles every
#                       dependency against a stub crate (the Dockerfile's cached layer, rebuilt
#                       only when those two files change)
#   build.sh app OUT    once src/ is in place: compiles s3strict and copies the binary to OUT/
set -eu
case "${1:-}" in
deps)
    if [ -e src ]; then
        echo "build.sh deps: src/ exists; run it where only Cargo.toml and Cargo.lock are" >&2
        exit 2
    fi
    mkdir src
    echo 'fn main() {}' > src/main.rs
    : > src/lib.rs
    cargo build --release --locked --bin s3strict
    rm -rf src
    # Forget the stub's own artefacts so that the real sources are compiled by `app`.
    rm -rf target/release/.fingerprint/s3strict-* target/release/deps/s3strict-* \
        target/release/deps/libs3strict-* target/release/s3strict
    ;;
app)
    out=${2:?usage: build.sh app OUT}
    cargo build --release --locked --bin s3strict
    mkdir -p "$out"
    cp target/release/s3strict "$out/s3strict"
    ;;
*)
    echo "usage: build.sh deps | build.sh app OUT" >&2
    exit 2
    ;;
esac
