#!/bin/sh
# bin/stowage (make build copies this file there): the server, the agent and the proxy.
#
# The server keeps every object of the cluster in memory and allocates fast while a
# deployment starts; a young generation of up to 64 MiB a half lets the short-lived
# objects of such a burst die young instead of being copied to the old generation
# (100,000 tasks on 5,000 nodes: 7.7 s of scavenges -> 4.6 s, 54 s of server CPU -> 43 s).
# Agents and proxies keep node's default. Tests that run the sources give the server the
# same flag (test/helpers/stowage.ts, SERVER_NODE_FLAGS).
here="$(dirname "$(readlink -f "$0")")"
if [ "$1" = server ]; then
  exec node --enable-source-maps --max-semi-space-size=64 "$here/../dist/cmd/stowage/main.js" "$@"
fi
exec node --enable-source-maps "$here/../dist/cmd/stowage/main.js" "$@"
