#!/usr/bin/env bash
# Compares DiMint with Redis Cluster and Garnet on this machine, in the same shape: 3 masters with 1 replica each,
# nothing persisted. One store runs at a time; each gets the same load generator (dimint bench), keys, values and
# concurrency. For each store: start it, load the same keys and measure the memory they took, run the workloads
# (100% read, 80/20 and 50/50 read/write, 100% write, and 80/20 on zipfian keys, a few of them hot), stop it. Then one table (markdown + JSON) and a PNG chart under bench/results/.
#
# Usage: bench/compare.sh [--quick] [--concurrency N] [--duration S] [--warmup S] [--keys N] [--systems dimint,redis,garnet] [--workloads LIST]
#   --quick        about four minutes on a quiet machine: 200,000 keys, 5 s per workload after 5 s of warm-up
#                  (the full profile: 1,000,000 keys, 30 s per workload after 20 s; about twenty minutes). The
#                  warm-up is the same for every store; DiMint's silos need it (the .NET JIT recompiles hot code
#                  during the first 20-30 s under load, and throughput climbs meanwhile).
#   --concurrency  operations in flight, the same for every store (default 64)
#   --keys         keys loaded (100-byte values), measured for memory and used by the workloads (default 1,000,000)
#   --workloads    which workloads, as NAME:READ_RATIO[:zipfian] (default
#                  read:1,mixed:0.8,half:0.5,write:0,zipfian:0.8:zipfian)
#   --systems      which stores, in order (default dimint,redis,garnet); dimint-tls is DiMint with TLS on every
#                  connection (a CA and a certificate made here with openssl), to see what TLS costs beside dimint
#                  dimint-resp is DiMint driven like Redis (StackExchange.Redis) through one silo's Redis-protocol port
#   --no-build     use the dimint already built in Cli/bin/Release (default: build it first)
#   --dimint-write-acks N   replicas that must hold a DiMint write before it is acknowledged (DiMint's default 1;
#                  0 is asynchronous, like Redis's and Garnet's replication)
# Every Redis-protocol store (redis, garnet, dimint-resp) is also driven by redis-benchmark itself (SET and GET, 50
# connections, the same keys and value size), in a second table, so the comparison does not rest on dimint bench alone.
# Installs what is missing: Debian's redis-server and redis-tools (apt-get), garnet-server (a .NET tool, in bench/.tools).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
garnet_version=2.2.8
profile=full
duration=30
warmup=20
concurrency=64
keys=1000000
value_size=100
systems=dimint,redis,garnet
write_acks=1
workloads=read:1,mixed:0.8,half:0.5,write:0,zipfian:0.8:zipfian
build=yes

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) profile=quick ;;
    --concurrency) concurrency=$2; shift ;;
    --duration) given_duration=$2; shift ;;
    --warmup) given_warmup=$2; shift ;;
    --keys) given_keys=$2; shift ;;
    --systems) systems=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    --dimint-write-acks) write_acks=$2; shift ;;
    --no-build) build=no ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$profile" = quick ]; then duration=5; warmup=5; keys=200000; fi
duration=${given_duration:-$duration}
warmup=${given_warmup:-$warmup}
keys=${given_keys:-$keys}

log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

stamp=$(date -u +%Y%m%d-%H%M%S)
out="$bench/results/$stamp"
raw="$out/raw"
work=$(mktemp -d "${TMPDIR:-/tmp}/dimint-compare.XXXXXX")
mkdir -p "$raw"

# Everything this script starts, so the EXIT trap can stop it: server processes, and `dimint up` (which stops its silos).
server_pids=()
up_pid=""
silo_pids=()
fg_pid=""

# run FILE COMMAND...: runs COMMAND with its output in FILE, in the background, and waits for it. Bash runs a trap
# only once a foreground command has ended (and ignores a SIGINT the command survived), so this keeps Ctrl+C and
# SIGTERM prompt; cleanup stops the command. (The output is redirected here, not around the call: a trap running
# inside a redirected call would write its own messages there.)
run() {
  local file=$1
  shift
  "$@" >"$file" 2>&1 &
  fg_pid=$!
  local status=0
  wait "$fg_pid" || status=$?
  fg_pid=""
  return "$status"
}

stop_servers() {
  local pid
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}

stop_dimint() {
  if [ -n "$up_pid" ]; then
    kill -TERM "$up_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
    up_pid=""
  fi
  local pid
  for pid in "${silo_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  silo_pids=()
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$fg_pid" ]; then kill -TERM "$fg_pid" 2>/dev/null || true; wait "$fg_pid" 2>/dev/null || true; fi
  stop_dimint
  stop_servers
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    log "failed (exit $status); logs kept in $work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- what is needed -------------------------------------------------------------------------------------------------

install_missing() {
  if [[ ",$systems," == *,redis,* || ",$systems," == *,garnet,* ]] && ! { command -v redis-server && command -v redis-cli; } >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "redis-server and redis-cli are missing: apt-get install redis-server redis-tools"
    log "installing Debian's redis-server and redis-tools"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
  garnet="$bench/.tools/garnet-server"
  if [[ ",$systems," == *,garnet,* ]] && [ ! -x "$garnet" ]; then
    log "installing garnet-server $garnet_version (a .NET tool) in bench/.tools"
    dotnet tool install --tool-path "$bench/.tools" garnet-server --version "$garnet_version" >/dev/null
  fi
  dimint=(dotnet "$root/Cli/bin/Release/net10.0/dimint.dll")
  if [ "$build" = no ]; then
    [ -f "${dimint[1]}" ] || die "--no-build, but ${dimint[1]} is missing: build it with dotnet build Cli -c Release"
    return
  fi
  log "building dimint (Release)"
  # No build servers: nothing of the build stays behind to take memory from the stores being measured.
  run "$work/build.log" dotnet build "$root/Cli" -c Release --disable-build-servers -nologo -v q -clp:ErrorsOnly \
    || die "the build failed: dotnet build Cli -c Release; see $work/build.log"
}

# --- ports, processes, memory ---------------------------------------------------------------------------------------

reserved=" "
port_busy() {
  [[ "$reserved" == *" $1 "* ]] && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Sets $picked to the first of $1 consecutive free ports (with the ports 10000 above them free too when $2 is "bus":
# the cluster bus of Redis and Garnet), and reserves them. Not in a $(subshell): the reservation must stick.
pick_ports() {
  local count=$1 bus=${2:-} base p ok
  # Below the kernel's ephemeral range (32768 up here), where outgoing connections hold local ports that a listener
  # cannot take even when nothing listens on them; a Redis cluster's bus port (port + 10000) too.
  for base in $(seq $((12000 + RANDOM % 1060 * 10)) 10 22690) $(seq 12000 10 22690); do
    ok=1
    for p in $(seq "$base" $((base + count - 1))); do
      if port_busy "$p" || { [ "$bus" = bus ] && port_busy $((p + 10000)); }; then ok=0; break; fi
    done
    if [ "$ok" = 1 ]; then
      for p in $(seq "$base" $((base + count - 1))); do reserved+="$p $((p + 10000)) "; done
      picked=$base
      return
    fi
  done
  die "no $count free ports found"
}

# Summed resident memory of the given processes, in bytes.
rss_bytes() {
  local pid kb total=0
  for pid in "$@"; do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || die "process $pid is gone"
    total=$((total + ${kb:-0} * 1024))
  done
  echo "$total"
}

wait_for() { # SECONDS WHAT COMMAND...: polls COMMAND until it succeeds
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || die "timed out after ${seconds} s waiting for $what"
    sleep 0.2
  done
}

# --- the stores -----------------------------------------------------------------------------------------------------

# Makes a CA and one certificate for every silo (openssl), once: what `dimint up --tls-authority --tls-certificate` takes.
make_tls() {
  local dir="$work/tls"
  [ -f "$dir/silo.pfx" ] && return
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -days 7 -subj /CN=dimint-bench-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/silo.key" -out "$dir/silo.csr" \
    -subj /CN=dimint-bench-silo 2>/dev/null
  printf 'extendedKeyUsage=serverAuth,clientAuth\n' >"$dir/silo.ext"
  openssl x509 -req -in "$dir/silo.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 7 \
    -extfile "$dir/silo.ext" -out "$dir/silo.pem" 2>/dev/null
  openssl pkcs12 -export -inkey "$dir/silo.key" -in "$dir/silo.pem" -out "$dir/silo.pfx" -passout pass:bench
}

# Starts DiMint's 3 silos with `dimint up`; $1 = tls: TLS on every connection; $1 = resp: the load through the first
# silo's Redis-protocol port (StackExchange.Redis, as for Redis), which routes each key to its master.
start_dimint() {
  local silo_port gateway_port resp_port tls=()
  if [ "${1:-}" = tls ]; then
    make_tls
    tls=(--tls-authority "$work/tls/ca.pem" --tls-certificate "$work/tls/silo.pfx")
  fi
  pick_ports 3
  silo_port=$picked
  pick_ports 3
  gateway_port=$picked
  pick_ports 3
  resp_port=$picked
  export DIMINT_HOME="$work/dimint-home"
  log "starting DiMint: 3 silos (silo ports $silo_port+, gateways $gateway_port+), replication factor 2, write acks $write_acks${tls:+, TLS}"
  DiMint__Replication__ReplicationFactor=2 DiMint__Replication__WriteAcks=$write_acks DiMint__Security__TlsCertificatePassword=bench \
    "${dimint[@]}" up --silos 3 --silo-port "$silo_port" --gateway-port "$gateway_port" --resp-port "$resp_port" --no-dashboard "${tls[@]}" >"$work/dimint-up.log" 2>&1 &
  up_pid=$!
  local deadline=$((SECONDS + 180))
  until grep -q '^DiMint cluster is up' "$work/dimint-up.log"; do
    kill -0 "$up_pid" 2>/dev/null || die "dimint up exited; see $work/dimint-up.log and $DIMINT_HOME/logs"
    [ $SECONDS -lt $deadline ] || die "DiMint did not start in 180 s; see $work/dimint-up.log"
    sleep 0.5
  done
  read -r -a silo_pids <<<"$(sed -n 's/^Silo pids: //p' "$work/dimint-up.log")"
  pids=("${silo_pids[@]}")
  target=(--target dimint --gateway "127.0.0.1:$gateway_port" --gateway "127.0.0.1:$((gateway_port + 1))" --gateway "127.0.0.1:$((gateway_port + 2))")
  [ ${#tls[@]} -eq 0 ] || target+=(--tls-authority "$work/tls/ca.pem")
  if [ "${1:-}" = resp ]; then
    target=(--target redis --endpoints "127.0.0.1:$resp_port" --password-file "$DIMINT_HOME/cluster.secret")
    redis_benchmark_target=(-p "$resp_port" -a "$(cat "$DIMINT_HOME/cluster.secret")")
  fi
  version="DiMint $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  shape="3 silos, each master of some ranges and replica of others; replication factor 2 (1 replica per range), $([ "$write_acks" = 0 ] && echo "asynchronous replication" || echo "a write acknowledged once $write_acks replica holds it"); in memory only${tls:+; TLS 1.3 (ECDSA P-256) on every connection, data port included}"
}

# Starts 6 nodes of a Redis-protocol cluster ($1: redis or garnet) and forms 3 masters with 1 replica each.
start_cluster() {
  local kind=$1 base port dir i endpoints=()
  pick_ports 6 bus
  base=$picked
  pids=()
  for i in 0 1 2 3 4 5; do
    port=$((base + i))
    dir="$work/$kind/$port"
    mkdir -p "$dir"
    if [ "$kind" = redis ]; then
      redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --daemonize no \
        --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000 \
        --save '' --appendonly no --dir "$dir" --logfile "$dir/server.log" &
    else
      # Garnet replicates by shipping its append-only log, so --aof is required; on the null device with fast
      # truncation it is never written to disk (and no checkpoint is taken). RandomAccess: no libaio needed.
      (cd "$dir" && exec "$garnet" --port "$port" --bind 127.0.0.1 --cluster \
        --aof --aof-null-device --fast-aof-truncate --aof-commit-freq -1 \
        --repl-diskless-sync true --repl-diskless-sync-delay 0 \
        --device-type RandomAccess --checkpointdir "$dir" >"$dir/server.log" 2>&1) &
    fi
    server_pids+=($!)
    pids+=($!)
    endpoints+=("127.0.0.1:$port")
  done
  for i in 0 1 2 3 4 5; do
    wait_for 60 "$kind on port $((base + i))" redis-cli -p $((base + i)) ping
  done
  log "forming the $kind cluster on ports $base-$((base + 5)): redis-cli --cluster create --cluster-replicas 1"
  run "$work/$kind-create.log" redis-cli --cluster create "${endpoints[@]}" --cluster-replicas 1 --cluster-yes \
    || die "redis-cli --cluster create failed; see $work/$kind-create.log"
  wait_for 60 "every $kind node to see the cluster ok, 3 replicas in sync" cluster_ready "$base"
  target=(--target redis --endpoints "$(IFS=,; echo "${endpoints[*]}")")
  redis_benchmark_target=(-p "$base" --cluster)
  ports=$(seq -s ' ' "$base" $((base + 5)))
}

cluster_ready() {
  local base=$1 i synced=0
  for i in 0 1 2 3 4 5; do
    redis-cli -p $((base + i)) cluster info | grep -q '^cluster_state:ok' || return 1
    if redis-cli -p $((base + i)) info replication | grep -q '^master_link_status:up'; then synced=$((synced + 1)); fi
  done
  [ "$synced" -eq 3 ]
}

# Every node's key count added up: with one replica per master, 2 x keys once replication has caught up.
cluster_keys() {
  local port total=0 n
  for port in $ports; do
    n=$(redis-cli -p "$port" dbsize | tr -dc '0-9')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

replicated() { [ "$(cluster_keys)" -ge $((2 * keys)) ]; }

start_system() {
  case "$1" in
    dimint) start_dimint ;;
    dimint-tls) start_dimint tls ;;
    dimint-resp)
      start_dimint resp
      shape="$shape; the clients' load through the first silo's Redis-protocol port (one address), which routes each key to its range's master"
      ;;
    redis)
      start_cluster redis
      version="Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
      shape="6 processes: 3 masters + 3 replicas (redis-cli --cluster create --cluster-replicas 1), asynchronous replication; save '' and appendonly no"
      ;;
    garnet)
      start_cluster garnet
      version="Garnet $("$garnet" --version 2>/dev/null | sed -n 's/^GarnetServer \([^+]*\).*/\1/p' | head -n 1)"
      shape="6 processes: 3 primaries + 3 replicas (redis-cli --cluster create --cluster-replicas 1), asynchronous replication of the AOF on a null device (--aof --aof-null-device --fast-aof-truncate); no checkpoints"
      ;;
    *) die "unknown system '$1' (dimint, dimint-tls, dimint-resp, redis or garnet)" ;;
  esac
}

stop_system() {
  case "$1" in dimint*) stop_dimint ;; *) stop_servers ;; esac
}

# --- one store ------------------------------------------------------------------------------------------------------

measure() {
  local system=$1 before after rc
  redis_benchmark_target=()
  start_system "$system"

  # Memory: the same keys in every store; RSS of all its processes, primaries and replicas, before and after.
  sleep 2
  before=$(rss_bytes "${pids[@]}")
  log "$system: loading $keys keys of $value_size bytes"
  run "$work/$system.load.out" "${dimint[@]}" bench "${target[@]}" --keys "$keys" --value-size "$value_size" \
    --read-ratio 1 --operations 1000 --warmup 0 --concurrency "$concurrency" --json "$raw/$system.load.json" \
    || die "$system: loading failed; see $work/$system.load.out"
  if [[ "$system" = dimint* ]]; then sleep 3; else wait_for 120 "$system replicas to hold every key" replicated; fi
  after=$(rss_bytes "${pids[@]}")
  printf '{ "label": "%s", "version": "%s", "shape": "%s", "processes": %d, "rssBeforeBytes": %d, "rssAfterBytes": %d }\n' \
    "$(label "$system")" "$version" "$shape" "${#pids[@]}" "$before" "$after" >"$raw/$system.memory.json"
  log "$system: RSS $((before / 1048576)) MiB before, $((after / 1048576)) MiB after"

  local workload ratio
  local distribution
  for workload in ${workloads//,/ }; do
    IFS=: read -r workload ratio distribution <<<"$workload"
    distribution=${distribution:-uniform}
    log "$system: $workload workload (read ratio $ratio, $distribution keys), $concurrency in flight, ${warmup} s warm-up then ${duration} s"
    rc=0
    run "$work/$system.$workload.out" "${dimint[@]}" bench "${target[@]}" --keys "$keys" --value-size "$value_size" \
      --no-load --read-ratio "$ratio" --distribution "$distribution" --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
      --json "$raw/$system.$workload.json" || rc=$?
    sed -n "s/^\(redis\|dimint\): \(.* ops\/s .*\)/    $system: \2/p" "$work/$system.$workload.out" >&2
    if [ "$rc" -ne 0 ]; then
      [ -f "$raw/$system.$workload.json" ] || die "$system: the $workload run failed; see $work/$system.$workload.out"
      log "$system: the $workload run had errors (they are in the table)"
    fi
  done

  if [ ${#redis_benchmark_target[@]} -gt 0 ]; then
    log "$system: redis-benchmark -t set,get, 50 connections, $keys random keys of $value_size bytes"
    run "$raw/$system.redis-benchmark.csv" redis-benchmark "${redis_benchmark_target[@]}" -t set,get \
      -n $((keys / 2)) -c 50 -r "$keys" -d "$value_size" --csv \
      || log "$system: redis-benchmark failed (an error reply stops it); see $raw/$system.redis-benchmark.csv"
  fi
  stop_system "$system"
}

label() {
  case "$1" in dimint) echo DiMint ;; dimint-tls) echo "DiMint (TLS)" ;; dimint-resp) echo "DiMint via RESP" ;; redis) echo "Redis Cluster" ;; garnet) echo Garnet ;; *) echo "$1" ;; esac
}

install_missing
log "profile $profile: $keys keys of $value_size bytes, $concurrency in flight, ${warmup} s + ${duration} s per workload; systems $systems"
IFS=, read -r -a chosen <<<"$systems"
for system in "${chosen[@]}"; do
  measure "$system"
done

# "Redis Cluster and Garnet", "A, B and C".
others=$(for s in "${chosen[@]}"; do [ "$s" = dimint ] || printf '%s, ' "$(label "$s")"; done | sed 's/, $//; s/\(.*\), /\1 and /')
run "$out/report.txt" "${dimint[@]}" bench report --in "$raw" --out "$out/compare" \
  --title "DiMint${others:+ compared with $others} ($profile profile)" || die "the report failed; see $out/report.txt"

# The second table: redis-benchmark's own figures ("test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...).
if ls "$raw"/*.redis-benchmark.csv >/dev/null 2>&1; then
  {
    printf '\nredis-benchmark -t set,get -c 50 -r %s -d %s (Redis Cluster and Garnet with --cluster; DiMint through one silo'"'"'s port):\n\n' "$keys" "$value_size"
    printf '| store | SET ops/s | SET p50 / p99 ms | GET ops/s | GET p50 / p99 ms |\n|---|--:|--:|--:|--:|\n'
    for system in "${chosen[@]}"; do
      csv="$raw/$system.redis-benchmark.csv"
      [ -f "$csv" ] || continue
      awk -F'","' -v name="$(label "$system")" '
        { gsub(/"/, "", $1); gsub(/"/, "", $NF) }
        $1 == "SET" { set = sprintf("%.1fk | %s / %s", $2 / 1000, $5, $7) }
        $1 == "GET" { get = sprintf("%.1fk | %s / %s", $2 / 1000, $5, $7) }
        END { printf "| %s | %s | %s |\n", name, set ? set : "failed | -", get ? get : "failed | -" }' "$csv"
    done
  } >>"$out/report.txt"
fi
cat "$out/report.txt"
