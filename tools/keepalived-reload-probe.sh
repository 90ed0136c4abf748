#!/bin/bash
# keepalived-reload-probe.sh - measure which keepalived.conf changes survive a
# reload (SIGHUP) without moving the VRRP VIP.  keepalived 2.2.7 (Debian 12).
#
# Lab: two network namespaces kr-a / kr-b joined by a veth pair
# (vethA 10.99.0.1/24 <-> vethB 10.99.0.2/24).  A's track script succeeds
# (prio 100+2=102), B's fails (100), so A holds VIP 10.99.0.50.
# Moves are read from `ip -n kr-X -ts monitor address`.
#
# A raw-socket sniffer in each namespace records every VRRP advert (time, src,
# version, vrid, priority, interval) to measure advert gaps / who is master.
#
# Usage (run as root; each exp* call starts and stops its own keepalived processes):
#   keepalived-reload-probe.sh setup
#   keepalived-reload-probe.sh exp1 [N=30] [SPACING=0.5]     identical-config reloads
#   keepalived-reload-probe.sh exp2 [REPS=3] [VARIANT...]    change on both, orders AB/BA/sim
#   keepalived-reload-probe.sh exp3                          half rollouts + procedures
#   keepalived-reload-probe.sh exp3_half VARIANT a|b REP     only one node reloaded
#   keepalived-reload-probe.sh exp3_proc P1..P5 REP [VARIANT]
#   keepalived-reload-probe.sh reanalyse                     recompute all trials
#   keepalived-reload-probe.sh cleanup                       netns, processes, temp dirs
# Results: /tmp/kr-lab/results.tsv, per-trial files in /tmp/kr-lab/logs/.
# Everything is named kr-*; processes are stopped by PID only.
set -u
KA=/usr/sbin/keepalived
PY=$(python3 -c 'import sys; print(sys.executable)')   # real interpreter, not a shim
LAB=/tmp/kr-lab                    # confs, pidfiles, logs, monitor files
RES=$LAB/results.tsv               # one line per trial
VIP_BASE=10.99.0.50
declare -A KPID                    # keepalived parent PID per node
declare -A MPID                    # ip monitor / sniffer PIDs

# ---------------------------------------------------------------- lab ----
setup() {
    ip netns add kr-a; ip netns add kr-b
    ip link add vethA netns kr-a type veth peer name vethB netns kr-b
    for n in a b; do ip -n kr-$n link set lo up; done
    ip -n kr-a addr add 10.99.0.1/24 dev vethA; ip -n kr-a link set vethA up
    ip -n kr-b addr add 10.99.0.2/24 dev vethB; ip -n kr-b link set vethB up
    mkdir -p /tmp/kr-a /tmp/kr-b $LAB/logs; chmod 755 /tmp/kr-a /tmp/kr-b
    for n in a b; do
        printf '#!/bin/sh\ntest -e /tmp/kr-%s/enabled\n' $n > /tmp/kr-$n/check
        chmod 755 /tmp/kr-$n/check
    done
    touch /tmp/kr-a/enabled; rm -f /tmp/kr-b/enabled   # A ok (102), B fails (100)
}

cleanup() {
    for n in a b; do
        for f in $LAB/$n.pid $LAB/$n.vrrp.pid; do
            # only a PID whose command line points at our lab config
            [ -s $f ] && grep -qa "$LAB/$n.conf" /proc/$(cat $f)/cmdline 2>/dev/null \
                && kill -TERM "$(cat $f)"
        done
    done
    sleep 1
    ip netns del kr-a 2>/dev/null; ip netns del kr-b 2>/dev/null
    rm -rf /tmp/kr-a /tmp/kr-b $LAB
}

# ------------------------------------------------------------- config ----
# Variables (defaults = production skeleton); a variant overrides some.
conf_defaults() {
    V_TIMEOUT=5 V_INTERVAL=1 V_WEIGHT=2 V_FALL=1 V_RISE=1 V_PRIO=100
    V_ADVERT=0.1 V_VRID=45 V_VERSION=3 V_REFRESH=10 V_EMAIL=0 V_COMMENT=0
    V_UNICAST=0 V_VIP=$VIP_BASE V_SNAME=cc_enabled V_STATE=BACKUP V_SKIP=0
}
variant_vars() {   # name -> overrides
    case $1 in
        base)        ;;
        email)       echo V_EMAIL=1 ;;
        timeout)     echo V_TIMEOUT=7 ;;
        interval)    echo V_INTERVAL=2 ;;
        weight)      echo V_WEIGHT=3 ;;
        fallrise)    echo V_FALL=2 V_RISE=2 ;;
        priority)    echo V_PRIO=110 ;;
        advert)      echo V_ADVERT=0.2 ;;
        advert1)     echo V_ADVERT=1 ;;
        vrid)        echo V_VRID=46 ;;
        version2)    echo V_VERSION=2 ;;
        comment)     echo V_COMMENT=1 ;;
        garprefresh) echo V_REFRESH=20 ;;
        unicast)     echo V_UNICAST=1 ;;
        vip)         echo V_VIP=10.99.0.51 ;;
        scriptname)  echo V_SNAME=cc_enabled2 ;;
        statemaster) echo V_STATE=MASTER ;;
        skip)        echo V_SKIP=1 ;;                    # base + skip_check_adv_addr
        vipskip)     echo V_SKIP=1 V_VIP=10.99.0.51 ;;   # VIP change, skip_check_adv_addr already set
        *) echo "unknown variant $1" >&2; return 1 ;;
    esac
}
base_of() { case $1 in vipskip) echo skip ;; *) echo base ;; esac; }
mkconf() {   # mkconf NODE VARIANT  -> writes $LAB/NODE.conf
    local n=$1 v=$2 N IF MY PEER
    conf_defaults; eval "$(variant_vars $v)"
    N=${n^^}; IF=veth$N
    if [ $n = a ]; then MY=10.99.0.1 PEER=10.99.0.2; else MY=10.99.0.2 PEER=10.99.0.1; fi
    {
    echo "global_defs {"
    echo "  router_id $N"
    echo "  enable_script_security"
    echo "  script_user root root"
    [ $V_EMAIL = 1 ] && echo "  notification_email { ops@example.com }"
    echo "}"
    [ $V_COMMENT = 1 ] && echo "# a new comment line"
    echo "vrrp_script $V_SNAME {"
    echo "  script \"/tmp/kr-$n/check\""
    echo "  interval $V_INTERVAL"
    echo "  timeout $V_TIMEOUT"
    echo "  weight $V_WEIGHT"
    echo "  fall $V_FALL"
    echo "  rise $V_RISE"
    echo "}"
    echo "vrrp_instance cc_gateway {"
    echo "  state $V_STATE"
    echo "  interface $IF"
    echo "  virtual_router_id $V_VRID"
    echo "  priority $V_PRIO"
    echo "  advert_int $V_ADVERT"
    echo "  version $V_VERSION"
    if [ $V_UNICAST = 1 ]; then
        echo "  unicast_src_ip $MY"
        echo "  unicast_peer { $PEER }"
    fi
    echo "  virtual_ipaddress { $V_VIP/32 dev $IF }"
    [ $V_SKIP = 1 ] && echo "  skip_check_adv_addr"
    echo "  track_script { $V_SNAME }"
    echo "  garp_master_delay 1"
    echo "  garp_master_refresh $V_REFRESH"
    echo "}"
    } > $LAB/$n.conf
}

# ---------------------------------------------------------- processes ----
ka_start() {   # ka_start NODE LOGFILE
    local n=$1
    rm -f $LAB/$n.pid $LAB/$n.vrrp.pid $LAB/$n.chk.pid
    ip netns exec kr-$n $KA -f $LAB/$n.conf -p $LAB/$n.pid -r $LAB/$n.vrrp.pid \
        -c $LAB/$n.chk.pid --vrrp -D -l -n >>"$2" 2>&1 &
    KPID[$n]=$!
}
ka_stop() {    # SIGTERM to the PIDs we started (parent, then vrrp child if left)
    local n=$1; local p=${KPID[$n]:-} c="" i
    [ -z "$p" ] && return 0
    [ -s $LAB/$n.vrrp.pid ] && c=$(cat $LAB/$n.vrrp.pid)
    [ -n "$p" ] && kill -TERM $p 2>/dev/null
    for i in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
    [ -n "$c" ] && kill -0 $c 2>/dev/null && kill -TERM $c 2>/dev/null
    wait $p 2>/dev/null; KPID[$n]=""
}
ka_hup() { for n in "$@"; do kill -HUP ${KPID[$n]}; done; }
ka_hup_both() { kill -HUP ${KPID[a]} ${KPID[b]}; }   # same instant
ka_restart() { ka_stop $1; ka_start $1 "$2"; }

mon_start() {  # mon_start PREFIX
    MPFX=$1
    for n in a b; do
        echo "=== TRIAL START $(date +%T.%N)" >> $1.log-$n
        ip -n kr-$n -ts monitor address > $1.mon-$n 2>&1 &
        MPID[$n]=$!
    done
    ip netns exec kr-b $PY -u $LAB/sniff.py $1.adv-b 10.99.0.2 & MPID[sb]=$!  # sees A's adverts
    ip netns exec kr-a $PY -u $LAB/sniff.py $1.adv-a 10.99.0.1 & MPID[sa]=$!  # sees B's adverts
    sleep 0.5
}
# VRRP advert sniffer (raw socket, proto 112) inside a namespace; joins 224.0.0.18
write_sniffer() {
cat > $LAB/sniff.py <<'PYEOF'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.18") + socket.inet_aton(sys.argv[2]))
out = open(sys.argv[1], "w", buffering=1)
while True:
    d, a = s.recvfrom(4096)
    ihl = (d[0] & 0xf) * 4
    ver, vrid, prio = d[ihl] >> 4, d[ihl+1], d[ihl+2]
    adv = (struct.unpack("!H", d[ihl+4:ihl+6])[0] & 0xfff) if ver == 3 else d[ihl+5]*100
    out.write(f"{time.time():.6f} {a[0]} {ver} {vrid} {prio} {adv}\n")
PYEOF
}
mon_stop() { date +%s.%N > $MPFX.end; for n in a b sa sb; do kill ${MPID[$n]} 2>/dev/null; wait ${MPID[$n]} 2>/dev/null; done; }

holders() {    # print e.g. "A" / "B" / "AB" / "-" for VIP $1
    local h=""
    ip -n kr-a -4 addr show dev vethA | grep -q " $1/" && h=${h}A
    ip -n kr-b -4 addr show dev vethB | grep -q " $1/" && h=${h}B
    echo ${h:--}
}

steady() {     # fresh start of both nodes on the base config; wait until A holds VIP
    local pfx=$1 v=${2:-base} try
    for try in 1 2 3; do
        ka_stop a; ka_stop b
        mkconf a $v; mkconf b $v
        ka_start a $pfx.log-a; ka_start b $pfx.log-b
        sleep 3
        [ "$(holders $VIP_BASE)" = A ] && return 0
        echo "steady state not reached (holders=$(holders $VIP_BASE)), retry" >&2
    done
    return 1
}

# Analyse monitor files: count moves and overlap/gap time.
analyse() {    # analyse PREFIX  -> "a_del b_add two_holder_ms no_holder_ms"
python3 - "$1" <<'EOF'
import re, sys, datetime
pfx = sys.argv[1]
ev = []
for node in "ab":
    for line in open(f"{pfx}.mon-{node}"):
        m = re.match(r"\[(\S+)\] (Deleted )?\d+: \S+\s+inet (10\.99\.0\.5\d)/", line)
        if m:
            t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
            ev.append((t, node, bool(m.group(2)), m.group(3)))
ev.sort()
held = {"a": {"10.99.0.50"}, "b": set()}
a_del = b_add = 0
two = gap = 0.0
last = ev[0][0] if ev else 0
vips = {"10.99.0.50", "10.99.0.51"}
import os
if os.path.exists(f"{pfx}.end"):
    end = float(open(f"{pfx}.end").read())
else:   # older runs: last advert seen approximates the end of the trial
    end = max(float(l.split()[0]) for n in "ab" for l in open(f"{pfx}.adv-{n}"))
ev.append((end, "end", None, None))
for t, node, dele, vip in ev:
    dt = t - last
    # two holders: some VIP held by both; gap: no VIP at all on either node
    if held["a"] & held["b"]: two += dt
    if not (held["a"] | held["b"]): gap += dt
    last = t
    if node == "end": break
    if dele:
        held[node].discard(vip)
        if node == "a": a_del += 1
    else:
        held[node].add(vip)
        if node == "b": b_add += 1
# adverts: A's (seen in kr-b) max gap, B adverts with prio>0 (B acting master)
def adv(f, src):
    r = []
    for l in open(f):
        t, a, ver, vrid, prio, iv = l.split()
        if a == src: r.append((float(t), int(prio), int(vrid), int(ver)))
    return r
aa = adv(f"{pfx}.adv-b", "10.99.0.1"); ba = adv(f"{pfx}.adv-a", "10.99.0.2")
gaps = [y[0] - x[0] for x, y in zip(aa, aa[1:])]
maxgap = round(max(gaps) * 1000) if gaps else -1
bmaster = sum(1 for x in ba if x[1] > 0)
aprios = sorted({x[1] for x in aa})
print(a_del, b_add, round(two * 1000), round(gap * 1000), maxgap, bmaster, ",".join(map(str, aprios)) or "-")
EOF
}

# log lines of interest emitted after the trial-start marker
loginfo() {
    for n in a b; do
        awk '/=== TRIAL START/{r=1} r' $1.log-$n | grep -E 'Entering|VRRP_Script|wrong|mismatch|interval updated|advert interval|removing|DELETED|Reloading|received lower|higher prio|considered|rounding|integer|not present|timeout|expected|Expected|Stopping|Starting VRRP|priority 0' \
          | cut -d: -f4- | sed -e "s/^ */$n: /" | uniq -c | sed 's/^ *//' | head -20
    done
}

record() {     # record EXP VARIANT ORDER REP PREFIX
    local r; r=$(analyse $5)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(echo $r | tr ' ' '\t')" "$(holders $VIP_BASE)/$(holders 10.99.0.51)" | tee -a $RES
}

# --------------------------------------------------------- experiments ----
# exp1: identical-config reloads, N times SPACING s apart, on A then on B
exp1() {
    local N=${1:-30} S=${2:-0.5} node p
    for node in a b; do
        p=$LAB/logs/exp1-$node-$N-$S
        steady $p || return 1
        mon_start $p
        for i in $(seq $N); do ka_hup $node; sleep $S; done
        sleep 2
        mon_stop
        record exp1 identical "reload-$node" "x$N@${S}s" $p
        loginfo $p > $p.loginfo
    done
}

# exp2: change applied to both configs, then reload A,B (0.5s gap) / B,A / both
exp2() {
    local reps=${1:-3}; shift
    local variants=${*:-email timeout interval weight fallrise priority advert vrid version2 comment garprefresh unicast vip scriptname statemaster}
    local v o r p
    for v in $variants; do
      for o in AB BA sim; do
        for r in $(seq $reps); do
            p=$LAB/logs/exp2-$v-$o-$r
            steady $p $(base_of $v) || continue
            mon_start $p
            mkconf a $v; mkconf b $v
            case $o in
                AB)  ka_hup a; sleep 0.5; ka_hup b ;;
                BA)  ka_hup b; sleep 0.5; ka_hup a ;;
                sim) ka_hup_both ;;
            esac
            sleep 4
            mon_stop
            record exp2 $v $o $r $p
            loginfo $p > $p.loginfo
        done
      done
    done
}

# exp3a: only ONE node reloaded with the new value (rolling, half-way), hold 5 s
exp3_half() {
    local v=$1 node=$2 r=$3 p=$LAB/logs/exp3half-$1-$2-$3
    steady $p || return
    mon_start $p
    mkconf $node $v; ka_hup $node
    sleep 5
    mon_stop
    record exp3-half $v "only-$node" $r $p
    loginfo $p > $p.loginfo
}

# exp3b: rolling procedures
#  advert:  P1 = reload B (backup) with new value, wait 5 s, reload A
#           P2 = reload A first, wait 5 s, reload B
#  vrid (or VARIANT given as 3rd arg):
#           P3 = stop B, reload A with new vrid, wait 3 s, start B with new vrid
#           P4 = stop B, restart A with new vrid, wait 3 s, start B with new vrid
#           P5 = stop A (VIP -> B), stop B, start A new, start B new (cold swap)
exp3_proc() {
    local proc=$1 r=$2 p=$LAB/logs/exp3proc-$1-$2-${3:-d}
    local v=advert; case $proc in P3|P4|P5) v=vrid ;; esac
    v=${3:-$v}          # optional: run the procedure for another variant (e.g. unicast)
    steady $p || return
    mon_start $p
    case $proc in
        P1) mkconf b $v; ka_hup b; sleep 5; mkconf a $v; ka_hup a ;;
        P2) mkconf a $v; ka_hup a; sleep 5; mkconf b $v; ka_hup b ;;
        P3) ka_stop b; mkconf a $v; mkconf b $v; ka_hup a; sleep 3; ka_start b $p.log-b ;;
        P4) ka_stop b; mkconf a $v; mkconf b $v; ka_restart a $p.log-a; sleep 3; ka_start b $p.log-b ;;
        P5) mkconf a $v; mkconf b $v; ka_stop a; sleep 2; ka_stop b; ka_start a $p.log-a; sleep 3; ka_start b $p.log-b ;;
    esac
    sleep 4
    mon_stop
    record exp3-proc $v $proc $r $p
    loginfo $p > $p.loginfo
}
exp3() {
    local r
    for r in 1 2 3; do
        exp3_half advert b $r; exp3_half advert a $r
        exp3_half vrid b $r;   exp3_half vrid a $r
    done
    for r in 1 2 3; do for P in P1 P2 P3 P4 P5; do exp3_proc $P $r; done; done
}

finish() { ka_stop a; ka_stop b; }

cmd=${1:-}; shift || true
case $cmd in
    setup)   setup ;;
    cleanup) cleanup ;;
    exp1|exp2|exp3|exp3_half|exp3_proc)
        mkdir -p $LAB/logs; write_sniffer
        [ -s $RES ] || printf 'exp\tvariant\torder\trep\tA_del\tB_add\ttwo_holder_ms\tno_holder_ms\tA_adv_maxgap_ms\tB_adv_prio>0\tA_adv_prios\tend_holders(.50/.51)\n' > $RES
        trap finish EXIT
        $cmd "$@" ;;
    reanalyse) for f in $LAB/logs/*.mon-a; do echo "${f%.mon-a}" "$(analyse ${f%.mon-a})"; done ;;
    *) sed -n 2,23p "$0" ;;
esac
