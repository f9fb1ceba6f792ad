#!/usr/bin/env bash
# Runs DiMint's whole test suite: installs what the tests need when it is missing, builds, then runs every test project.
# Results (TRX) go to TestResults/. Usage: ./test.sh [extra dotnet test arguments, e.g. --filter Category=Unit]
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
# ZooKeeper (Debian's package) for the ZooKeeper client, membership and cluster tests.
if [ -d ZooKeeper ] && [ ! -f /usr/share/java/zookeeper.jar ]; then need_apt+=(zookeeper); fi
# Debian's Chromium for the dashboard's browser tests (Playwright drives it; it downloads no browser of its own).
if [ -d Dashboard ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# Debian's redis-server for the tests of `dimint bench --target redis`, and its redis-tools (redis-cli,
# redis-benchmark) for the tests of the silos' Redis-protocol ports.
if ! command -v redis-server >/dev/null 2>&1; then need_apt+=(redis-server); fi
if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then need_apt+=(redis-tools); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing ${need_apt[*]} from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK (dotnet) is required; see global.json for the version." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf TestResults
dotnet build DiMint.sln -c Debug -nologo -clp:ErrorsOnly
# One test project at a time: the machine has two cores and several tests start real silo processes.
dotnet test DiMint.sln -c Debug --no-build -m:1 --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults "$@"
