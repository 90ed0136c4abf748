#!/bin/bash
# A VM provider's node (libvirt, VirtualBox) starts from a stock box: this gives it what the lab's
# Docker image of its role carries (cclab/images/<role>/Dockerfile; a unit test holds the package
# lists equal), from the repository synced to /vagrant. In a container it has nothing to do.
# Usage: provision-vm.sh cc|nc|walrus
set -euo pipefail
role=$1
images=/vagrant/cclab/images
marker=/var/lib/cclab/provisioned-$role

if systemd-detect-virt --container --quiet; then
    echo "cclab: a lab image: nothing to install"; exit 0
fi
if [ -e "$marker" ]; then   # the routes that follow leave no way to a mirror: never twice
    echo "cclab: $role already provisioned"; exit 0
fi

packages() {   # the role's own packages (its Dockerfile's), with the Debian names
    case $role in
        cc) echo puppet puppet-module-puppetlabs-stdlib keepalived iptables nftables curl \
                 python3-lxml python3-cryptography openssl ;;
        nc) echo curl ;;
        walrus) echo ;;
        *) echo "provision-vm.sh: no role $role (cc, nc or walrus)" >&2; exit 2 ;;
    esac
}

if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2046  # a list of package names
    apt-get install -y -q --no-install-recommends iproute2 iputils-ping procps python3 tcpdump $(packages)
    if [ "$role" = cc ]; then   # EL7, where CCs run, has the legacy iptables (see the cc Dockerfile)
        update-alternatives --set iptables /usr/sbin/iptables-legacy
        update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
        systemctl disable --now puppet.service 2>/dev/null || true
    fi
else   # an EL box (CCLAB_BOX): Puppet from Puppet's own repository, stdlib from the Forge
    release=$(rpm -E %rhel)
    yum install -y -q "https://yum.puppet.com/puppet7-release-el-$release.noarch.rpm"
    yum install -y -q iproute iputils procps-ng python3 tcpdump curl
    if [ "$role" = cc ]; then
        yum install -y -q puppet-agent keepalived iptables nftables python3-lxml python3-cryptography openssl
        ln -sf /opt/puppetlabs/bin/puppet /usr/bin/puppet
        # Where the lab environment's modulepath ends ($basemodulepath), in metadata.json's range.
        puppet module install puppetlabs-stdlib --target-dir /etc/puppetlabs/code/modules \
            --version '>= 8.0.0 < 10.0.0'
    fi
fi
# The lab's Python (the simulated CC, the NC's probe, Walrus) needs 3.8: EL7 and EL8 have 3.6.
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
    echo "provision-vm.sh: $(python3 -V 2>&1) is too old for the lab's services: use an EL9 box" >&2
    exit 1
fi

case $role in
    cc)
        mkdir -p /etc/eucalyptus /usr/lib/axis2c /var/lib/eucalyptus/keys /opt/ccsim /opt/cclab/modules
        printf 'CC_PORT="8774"\n' > /etc/eucalyptus/eucalyptus.conf
        printf -- '-----BEGIN CERTIFICATE-----\ncclab stand-in for cluster-cert.pem\n-----END CERTIFICATE-----\n' \
            > /var/lib/eucalyptus/keys/cluster-cert.pem
        cp -rT /vagrant/cclab/ccsim /opt/ccsim/ccsim
        sh "$images/cc/install-ccsim.sh"
        install -m 0644 "$images/cc/cclab-address-monitor.service" /etc/systemd/system/
        install -m 0755 "$images/cc/cclab-nfqdelay" /usr/local/sbin/cclab-nfqdelay
        systemctl enable --now cclab-address-monitor.service eucalyptus-cc.service
        ln -sfn /vagrant /opt/cclab/modules/eucalyptus_cc_gateway   # the environment's modulepath
        ;;
    nc)
        install -m 0755 "$images/nc/cclab_probe.py" /usr/local/bin/cclab-probe
        install -m 0755 "$images/nc/cclab_fetch.py" /usr/local/bin/cclab-fetch
        mkdir -p /var/log/cclab /var/lib/cclab
        ;;
    walrus)
        mkdir -p /srv/walrus/emi /srv/walrus/probe
        printf 'pong\n' > /srv/walrus/probe/ping
        install -m 0755 "$images/walrus/walrus_server.py" /usr/local/sbin/cclab-walrus-server
        install -m 0755 "$images/walrus/walrus_image.py" /usr/local/sbin/cclab-walrus-image
        install -m 0644 "$images/walrus/walrus.service" /etc/systemd/system/
        systemctl daemon-reload
        systemctl enable --now walrus.service
        ;;
esac
mkdir -p "$(dirname "$marker")" && touch "$marker"
