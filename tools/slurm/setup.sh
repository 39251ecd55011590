#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the sweep test: installs Debian's
# slurm-wlm and munge, writes a minimal slurm.conf for this host (its real CPUs and memory from
# `slurmd -C`), creates a munge key, and starts munged, slurmctld and slurmd. Needs root.
# Idempotent: a second call finds the daemons running and only waits for the node to be idle.
# Usage: tools/slurm/setup.sh        (then: sinfo; sbatch ...)
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "tools/slurm/setup.sh: needs root (apt-get install, daemons in /run)" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

conf_dir=/etc/slurm
[ -d /etc/slurm-llnl ] && [ ! -d /etc/slurm ] && conf_dir=/etc/slurm-llnl
mkdir -p "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
host=$(hostname -s)
# slurmd -C prints this machine's real hardware as a slurm.conf node line.
node_line=$(slurmd -C | head -n 1)
case "$node_line" in
  NodeName=*) ;;
  *) echo "tools/slurm/setup.sh: unexpected 'slurmd -C' output: $node_line" >&2; exit 1 ;;
esac
node_line="NodeName=$host ${node_line#NodeName=* }"
conf="$conf_dir/slurm.conf"
cat > "$conf.new" <<CONF
# Written by tools/slurm/setup.sh: one node, no cgroups, no accounting.
ClusterName=logitstd
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job may start again only after its old credential expired (default 120 s); 20 s keeps
# the requeue test short. A relaunch before that is refused by slurmd ("already killed").
AuthInfo=cred_expire=20
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
MinJobAge=600
$node_line State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
changed=0
if ! cmp -s "$conf.new" "$conf"; then mv "$conf.new" "$conf"; changed=1; else rm -f "$conf.new"; fi

# munge: a key (created by the package's postinst on most machines; made here otherwise), then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --force; else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n >/dev/null 2>&1; then
  if id munge >/dev/null 2>&1; then runuser -u munge -- /usr/sbin/munged; else /usr/sbin/munged --force; fi
fi
for i in $(seq 1 50); do munge -n >/dev/null 2>&1 && break; sleep 0.2; done
munge -n | unmunge >/dev/null || { echo "tools/slurm/setup.sh: munged did not start" >&2; exit 1; }

if [ "$changed" -eq 1 ]; then
  # A new configuration: restart the daemons this script started (their pid files), not any others.
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
  done
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
state=unknown
for i in $(seq 1 100); do
  state=$(timeout 5 sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle|mixed|allocated) break ;;
    down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.3
done
case "$state" in
  idle|mixed|allocated) echo "slurm: node $host $state ($(sinfo -h -o '%c CPUs, %m MB' | head -n 1)), partition main" ;;
  *) echo "tools/slurm/setup.sh: node $host is '$state' after 30 s; see /var/log/slurm/slurmd.log and slurmctld.log" >&2; exit 1 ;;
esac
