# Sourced by prebuild.sh and test.sh: the machine's Go with its module and build caches in the lab's
# cache folder (the same folders cloudmart_lab/bundle/gobuild.py uses), never in the repository.
cache_root=${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}
export GOMODCACHE="$cache_root/go/mod" GOCACHE="$cache_root/go/build"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
# Keep the toolchain the machine has rather than downloading the one go.mod might name.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "order-service: Go 1.26 is needed (go on PATH or /usr/local/go/bin)" >&2; exit 1; }
mkdir -p "$GOMODCACHE" "$GOCACHE"
