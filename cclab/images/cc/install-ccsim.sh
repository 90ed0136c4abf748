#!/bin/sh
# Install the simulated CC from /opt/ccsim/ccsim: the client where the Puppet module's
# ccclient_source expects it, the control tool on PATH, and the service enabled.
set -eu
src=/opt/ccsim/ccsim
if [ -z "$(ls -A "$src")" ]; then
    echo "cclab: WARNING: cclab/ccsim is empty; this image has no eucalyptus-cc service" >&2
    exit 0
fi
for f in bin/CCclient_full bin/ccsim-ctl eucalyptus-cc.service; do
    [ -f "$src/$f" ] || { echo "cclab: $src/$f missing: cclab/ccsim is incomplete" >&2; exit 1; }
done
install -D -m 0755 "$src/bin/CCclient_full" /opt/cclab/CCclient_full
chmod 0755 "$src/bin/ccsim-ctl" "$src/bin/CCclient_full"
# A link, not a copy: the tool finds its package next to its real path.
ln -sf "$src/bin/ccsim-ctl" /usr/local/bin/ccsim-ctl
install -m 0644 "$src/eucalyptus-cc.service" /etc/systemd/system/eucalyptus-cc.service
# A stock CC ships the client's WS-Security policy; the key files it names are the lab's business.
if [ -f "$src/cc-client-policy.xml" ]; then
    install -D -m 0644 "$src/cc-client-policy.xml" /var/lib/eucalyptus/keys/cc-client-policy.xml
fi
systemctl enable eucalyptus-cc.service
