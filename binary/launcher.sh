#!/bin/sh
# edgekit @VERSION@ (build @ID@): one file holding the PyInstaller build of the edgekit CLI. The first
# run unpacks it into a cache folder named by this build's content hash; every later run starts the
# unpacked program directly (PyInstaller's own one-file mode unpacks at every start). EDGEKIT_BIN_CACHE
# chooses the folder. Needs only sh, tail, gzip, tar and mkdir (busybox has them).
set -e
id=@ID@
base="${EDGEKIT_BIN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/edgekit/bin}"
if ! mkdir -p "$base" 2>/dev/null || [ ! -w "$base" ]; then
    base="${TMPDIR:-/tmp}/edgekit-bin-$(id -u)"
    mkdir -p "$base"
fi
dir="$base/$id"
if [ ! -f "$dir/.complete" ]; then
    lock="$base/.lock-$id"
    waited=0
    until mkdir "$lock" 2>/dev/null; do  # another run is unpacking; a lock older than 60 s is stale
        sleep 1
        waited=$((waited + 1))
        if [ "$waited" -ge 60 ]; then rm -rf "$lock"; fi
    done
    trap 'rm -rf "$lock" "$base/.unpack-$id-$$"' INT TERM HUP EXIT
    if [ ! -f "$dir/.complete" ]; then
        tmp="$base/.unpack-$id-$$"
        rm -rf "$tmp" "$dir"
        mkdir -p "$tmp"
        tail -n +@SKIP@ "$0" | gzip -dc | tar -xf - -C "$tmp"
        : > "$tmp/.complete"
        mv "$tmp" "$dir"
    fi
    rm -rf "$lock"
    trap - INT TERM HUP EXIT
fi
exec "$dir/edgekit" "$@"
__EDGEKIT_PAYLOAD_FOLLOWS__
