#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine (Debian's slurm-wlm and munge, as root), with two
# fake GPUs declared through gres, so the SLURM profile can be tried, and tested, without a cluster.
#   sudo scripts/slurm_local.sh          # install if needed, configure, start; idempotent
#   sudo scripts/slurm_local.sh stop     # stop the daemons
# Debian 12 / slurm-wlm 22.05: select/cons_tres, proctrack/linuxproc, task/none, no accounting.
set -euo pipefail
stop_daemons() {
  pkill -x slurmctld || true; pkill -x slurmd || true; pkill -x munged || true
  for _ in $(seq 20); do
    pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || pgrep -x munged >/dev/null || return 0
    sleep 0.5
  done
  pkill -9 -x slurmctld || true; pkill -9 -x slurmd || true; pkill -9 -x munged || true
}
if [ "${1:-start}" = stop ]; then
  stop_daemons
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "slurm_local.sh: run as root (it installs packages and starts daemons)" >&2; exit 1; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

# munge: a key, then the daemon
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
  pkill -x munged || true; sleep 0.5  # a daemon on its way out would otherwise be taken for a live one
  su -s /bin/sh munge -c /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force
  for _ in $(seq 20); do munge_ok && break; sleep 0.5; done
  munge_ok || { echo "slurm_local.sh: munged did not start; see /var/log/munge/munged.log" >&2; exit 1; }
fi

# fake GPUs: character devices that gres can hand out (nothing reads them)
for i in 0 1; do [ -e /dev/fakegpu$i ] || mknod /dev/fakegpu$i c 195 $((i + 200)); done

mkdir -p /etc/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=pluralign
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem_mb Gres=gpu:2 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
cat > /etc/slurm/gres.conf <<CONF
NodeName=$host Name=gpu File=/dev/fakegpu[0-1]
CONF
# Probe the controller rather than trusting pgrep (a stopping daemon still shows up there); every
# client call is bounded, since SLURM clients retry for minutes against a dead controller.
if ! timeout 5 scontrol ping 2>/dev/null | grep -q UP; then
  pkill -x slurmctld || true; sleep 0.5
  slurmctld
fi
pgrep -x slurmd >/dev/null || slurmd
SECONDS=0
while [ "$SECONDS" -lt 90 ]; do
  if timeout 3 sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "slurm_local.sh: node $host up ($cpus CPUs, $mem_mb MB, 2 fake GPUs), partition main"
    exit 0
  fi
  timeout 3 scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm_local.sh: the node did not come up; see /var/log/slurm/" >&2
timeout 5 sinfo >&2 || true
exit 1
