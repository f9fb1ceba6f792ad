#!/usr/bin/env python3
"""Many silo processes on one machine, over ZooKeeper: what grows with the cluster (issue 20).

Usage, after `dotnet build` (from anywhere): bench/scale/run.py [INITIAL [TOTAL]]   (default 10 and 30)

Starts `dimint up --silos INITIAL --with-zookeeper --ranges-per-silo 1`, then TOTAL - INITIAL more silo processes by
hand (`up` starts at most 16), and reports when all are active members and when every silo masters a range (the
policy splits the ring and spreads it). Then, idle for 60 s: CPU and RSS per silo and of the overlord's silo,
ZooKeeper's CPU and packets a second, the ring's size. Then a `kill -9` of a silo (until no range names it) and a
drain. Everything it started is stopped at the end. About 15 minutes on 2 cores; logs in /tmp/dimint-scale/.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "Cli", "bin", "Debug", "net10.0")
CLI = ["dotnet", os.path.join(BIN, "dimint.dll")]
ZK = "127.0.0.1:2181"
LOGS = "/tmp/dimint-scale"
HZ = os.sysconf("SC_CLK_TCK")


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def query(*args):
    """A `dimint ... --json` command's answer, or None while the cluster cannot answer."""
    result = subprocess.run(CLI + list(args) + ["-z", ZK, "--json"], capture_output=True, text=True, timeout=120)
    try:
        return json.loads(result.stdout)
    except ValueError:
        return None


def ranges():
    ring = query("ring")
    return None if ring is None else ring.get("ranges", ring)


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def zookeeper_counters():
    """ZooKeeper's `mntr` counters (empty when the four-letter words are not allowed)."""
    try:
        with socket.create_connection(("127.0.0.1", 2181), timeout=5) as s:
            s.sendall(b"mntr")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return dict(line.split("\t", 1) for line in data.decode().splitlines() if "\t" in line)
    except OSError:
        return {}


def wait_until_spread(total, started):
    """Polls until every silo is an active member and masters a range, with no ring operation running."""
    joined = None
    while time.time() - started < 1200:
        status = query("status")
        if status:
            active = [s for s in status if s.get("membership") == "Active"]
            masters = [s["masterRanges"] for s in active]
            if joined is None and len(active) >= total:
                joined = time.time() - started
                log(f"all {total} silos active {joined:.0f} s after the first extra silo started")
            operations = query("ops") or []
            running = [o for o in operations if str(o.get("state", "")).lower() == "running"]
            log(f"active {len(active)}, ranges {sum(masters)}, masters per silo {min(masters, default=0)}-{max(masters, default=0)}, operations running {len(running)}")
            if joined is not None and masters and min(masters) >= 1 and not running:
                log(f"every silo masters a range {time.time() - started:.0f} s after the start")
                return
        time.sleep(10)
    raise SystemExit("the cluster did not spread within 20 minutes")


def measure_idle(seconds=60):
    status = query("status")
    silos = {s["pid"]: s for s in status if s.get("pid")}
    zookeepers = [int(p) for p in subprocess.run(["pgrep", "-f", "org.apache.zookeeper"], capture_output=True, text=True).stdout.split()]
    pids = list(silos) + zookeepers
    before, counters, started = {p: cpu_ticks(p) for p in pids}, zookeeper_counters(), time.time()
    time.sleep(seconds)
    after, counters_after, elapsed = {p: cpu_ticks(p) for p in pids}, zookeeper_counters(), time.time() - started
    share = {p: (after[p] - before[p]) / HZ / elapsed * 100 for p in pids}
    cpu = sorted(share[p] for p in silos)
    rss = sorted(rss_mb(p) for p in silos)
    log(f"idle, {len(silos)} silos: CPU per silo median {cpu[len(cpu) // 2]:.1f}% of a core ({cpu[0]:.1f}-{cpu[-1]:.1f}), {sum(cpu):.0f}% in all; "
        f"RSS per silo median {rss[len(rss) // 2]:.0f} MB ({rss[0]:.0f}-{rss[-1]:.0f}), {sum(rss):.0f} MB in all")
    for pid, silo in silos.items():
        if silo.get("overlord") == "leader":
            log(f"the overlord's silo: {share[pid]:.1f}% of a core, {rss_mb(pid):.0f} MB")
    for pid in zookeepers:
        log(f"ZooKeeper: {share[pid]:.1f}% of a core, {rss_mb(pid):.0f} MB")
    for key in ("zk_packets_received", "zk_packets_sent"):
        if key in counters and key in counters_after:
            log(f"{key}: {(int(counters_after[key]) - int(counters[key])) / elapsed:.0f}/s")
    for key in ("zk_num_alive_connections", "zk_znode_count", "zk_approximate_data_size"):
        if key in counters_after:
            log(f"{key}: {counters_after[key]}")
    log(f"masters per silo: {sorted(s['masterRanges'] for s in status)}")


def kill_and_drain():
    status = query("status")
    others = [s for s in status if s.get("overlord") != "leader" and s["masterRanges"] > 0]
    victim = others[len(others) // 2]
    log(f"kill -9 {victim['address']} ({victim['masterRanges']} masters, {victim['replicaRanges']} replicas)")
    started = time.time()
    os.kill(victim["pid"], signal.SIGKILL)
    promoted = None
    while time.time() - started < 300:
        held = [r for r in ranges() or [] if r["master"] == victim["address"] or victim["address"] in r.get("replicas", [])]
        if promoted is None and not any(r["master"] == victim["address"] for r in held):
            promoted = time.time() - started
            log(f"its masters promoted within {promoted:.1f} s (as polled: each poll is a CLI call)")
        if not held:
            log(f"no range names it {time.time() - started:.1f} s after the kill")
            break
        time.sleep(1)
    drained = [s for s in query("status") if s.get("overlord") != "leader" and s.get("up") and s["address"] != victim["address"]][0]
    host, port = drained["address"][1:].split(":")[:2]
    started = time.time()
    result = subprocess.run(CLI + ["drain", f"{host}:{port}", "-z", ZK], capture_output=True, text=True, timeout=900)
    log(f"drain of {host}:{port}: exit {result.returncode} after {time.time() - started:.1f} s: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()}")


def main():
    initial = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    os.makedirs(LOGS, exist_ok=True)
    processes = [subprocess.Popen(CLI + ["up", "--silos", str(initial), "--with-zookeeper", "--no-dashboard", "--ranges-per-silo", "1"],
                                  stdout=open(f"{LOGS}/up.log", "w"), stderr=subprocess.STDOUT)]
    try:
        started = time.time()
        while "cluster is up" not in open(f"{LOGS}/up.log").read():
            if processes[0].poll() is not None or time.time() - started > 300:
                raise SystemExit(f"dimint up did not start; see {LOGS}/up.log")
            time.sleep(1)
        log(f"{initial} silos up after {time.time() - started:.0f} s")
        started = time.time()
        for i in range(initial, total):
            processes.append(subprocess.Popen(
                ["dotnet", os.path.join(BIN, "DiMint.Silo.dll"), "--silo-port", str(11111 + i), "--gateway-port", str(30000 + i), "--zookeeper", ZK,
                 # The secret `dimint up` made for its cluster (the default DIMINT_HOME, ~/.dimint).
                 "--secret-file", os.path.join(os.environ.get("DIMINT_HOME") or os.path.expanduser("~/.dimint"), "cluster.secret")],
                stdout=open(f"{LOGS}/silo{i}.log", "w"), stderr=subprocess.STDOUT))
        wait_until_spread(total, started)
        measure_idle()
        kill_and_drain()
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.time() + 90
        for process in processes:
            try:
                process.wait(max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
