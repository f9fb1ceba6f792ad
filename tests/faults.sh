#!/usr/bin/env bash
# DiMint's fault harness, the long set: every schedule (partitions, pauses, kills, ZooKeeper faults) plus randomised ones,
# on 5 silos, a 3-server ZooKeeper ensemble and 2 clients, each in its own network namespace. Needs root and iproute2;
# installs Debian's zookeeper package when it is missing. CI runs the short set as part of ./test.sh.
# Usage: tests/faults.sh [--set short|long] [--seed N] [--random N] [--schedule NAME]... [--replication-factor N] [--silos N] [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/java/zookeeper.jar ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq zookeeper >/dev/null
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/DiMint.Faults -c Debug -nologo -clp:ErrorsOnly
exec dotnet tests/DiMint.Faults/bin/Debug/net10.0/DiMint.Faults.dll run "$@"
