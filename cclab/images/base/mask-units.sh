#!/bin/sh
# Mask the units that fail or hang in a container, so systemd reaches running/degraded quickly.
set -eu
for unit in \
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service \
    getty@.service serial-getty@.service console-getty.service getty-static.service getty.target \
    systemd-networkd-wait-online.service systemd-timesyncd.service \
    systemd-remount-fs.service systemd-firstboot.service systemd-modules-load.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
    systemd-journald-audit.socket systemd-pstore.service e2scrub_reap.service \
    e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer fstrim.timer
do
    systemctl mask "$unit" >/dev/null 2>&1 || ln -sf /dev/null "/etc/systemd/system/$unit"
done
