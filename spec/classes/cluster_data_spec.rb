# frozen_string_literal: true

require 'spec_helper'

# One set of data for both CCs of a cluster: the private interface from the VIP's network, the
# public one from the default route, and unicast VRRP from cluster_addresses, all read from the
# node's networking facts. Every derivation, that a given value wins, and every failure message.
describe 'eucalyptus_cc_gateway' do
  let(:config) { EucalyptusSpec::CONFIG }
  let(:preload) { '/var/run/eucalyptus/net/iptables-preload' }
  let(:os_facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }
  let(:facts) { EucalyptusSpec.with_networking(os_facts) }

  # What an operator puts in the cluster's Hiera file: identical for both CCs.
  cluster = {
    'vip' => '10.231.45.50',
    'virtual_router_id' => 45,
    'cluster_addresses' => ['10.231.45.11', '10.231.45.12'],
    'manage_gateway' => true,
    'nc_network' => '10.231.45.0/24',
  }.freeze

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os}, with the cluster's data only (cc1: eth0 10.231.45.11/24, eth1 10.231.46.11/24, default route on eth1)" do
      let(:facts) { EucalyptusSpec.with_networking(os_facts) }
      let(:params) { cluster }

      it { is_expected.to compile.with_all_deps }

      it 'renders keepalived.conf with the VIP on eth0, unicast from this CC to the other' do
        conf = file_content(config)
        expect(conf).to include("  interface eth0\n", "    10.231.45.50/32 dev eth0\n",
                                "  unicast_src_ip 10.231.45.11\n", "  unicast_peer {\n    10.231.45.12\n  }\n")
      end

      it 'forwards and masquerades from eth0 out through eth1' do
        content = file_content(preload)
        expect(content).to include('-A FORWARD -i eth0 -o eth1 -s 10.231.45.0/24 ')
        expect(content).to include('-A POSTROUTING -s 10.231.45.0/24 -o eth1 ')
      end
    end
  end

  context 'on the other CC of the cluster (cc2: 10.231.45.12), with the same data' do
    let(:facts) { EucalyptusSpec.with_networking(os_facts, { 'eth0' => ['10.231.45.12/24'], 'eth1' => ['10.231.46.12/24'] }) }
    let(:params) { cluster }

    it 'sends from its own address to cc1' do
      expect(file_content(config)).to include("  unicast_src_ip 10.231.45.12\n", "  unicast_peer {\n    10.231.45.11\n  }\n")
    end
  end

  describe 'cluster_addresses' do
    context 'with this CC last and more than one peer' do
      let(:params) { cluster.merge('cluster_addresses' => ['10.231.45.13', '10.231.45.12', '10.231.45.11']) }

      it 'makes every other entry a peer, in the list\'s order' do
        expect(significant_lines(config)).to include('unicast_src_ip 10.231.45.11')
        expect(file_content(config)).to include("  unicast_peer {\n    10.231.45.13\n    10.231.45.12\n  }\n")
      end
    end

    context 'with an entry twice' do
      let(:params) { cluster.merge('cluster_addresses' => ['10.231.45.11', '10.231.45.12', '10.231.45.12']) }

      it('lists the peer once') { expect(file_content(config)).to include("  unicast_peer {\n    10.231.45.12\n  }\n") }
    end

    context 'with manage_firewall' do
      let(:params) { cluster.merge('manage_firewall' => true) }

      it 'lets VRRP in from the peer on the derived interface, in iptables-preload and firewalld' do
        expect(file_content(preload).lines.grep(%r{^-A INPUT}).map(&:chomp))
          .to eq(['-A INPUT -i eth0 -p 112 -s 10.231.45.12 -m comment --comment eucalyptus_cc_gateway -j ACCEPT'])
        is_expected.to contain_exec('eucalyptus_cc_gateway: firewalld runtime rich rule: VRRP from 10.231.45.12')
          .with_command(%r{--get-zone-of-interface=eth0 .*source address="10\.231\.45\.12"})
      end
    end

    context 'when empty (the default)' do
      let(:params) { cluster.merge('cluster_addresses' => []) }

      it('leaves VRRP on multicast') { expect(file_content(config)).not_to match(%r{^\s*unicast_}) }
    end

    context 'with priv_dev given, on a network other than this CC\'s address' do
      let(:params) { cluster.merge('cluster_addresses' => ['10.231.46.11', '10.231.46.12'], 'priv_dev' => 'eth0') }

      it 'takes priv_dev as given' do
        expect(file_content(config)).to include("  interface eth0\n", "  unicast_src_ip 10.231.46.11\n")
      end
    end
  end

  describe 'priv_dev, unset' do
    context 'with a VIP that has a prefix' do
      let(:params) { { 'vip' => '10.231.45.50/24' } }

      it 'is the interface on the VIP\'s network' do
        expect(file_content(config)).to include("  interface eth0\n", "    10.231.45.50/24 dev eth0\n")
      end
    end

    context 'while this CC holds the VIP (a /32 address on the same interface)' do
      let(:facts) { EucalyptusSpec.with_networking(os_facts, { 'eth0' => ['10.231.45.11/24', '10.231.45.50/32'], 'eth1' => ['10.231.46.11/24'] }) }
      let(:params) { { 'vip' => '10.231.45.50' } }

      it('is still that interface') { expect(file_content(config)).to include("  interface eth0\n") }
    end

    context 'on a VLAN interface whose name keepalived takes as it is' do
      let(:facts) { EucalyptusSpec.with_networking(os_facts, { 'bond0.45' => ['10.231.45.11/23'], 'eth1' => ['10.231.46.11/24'] }) }
      let(:params) { { 'vip' => '10.231.44.50' } }

      it { expect(file_content(config)).to include("  interface bond0.45\n", "    10.231.44.50/32 dev bond0.45\n") }
    end
  end

  describe 'priv_dev, given' do
    let(:params) { { 'vip' => '192.0.2.50', 'priv_dev' => 'eth7' } }

    it('wins, even off every network of the host') { expect(file_content(config)).to include("  interface eth7\n", "192.0.2.50/32 dev eth7\n") }
  end

  describe 'pub_dev' do
    context 'given, with manage_gateway' do
      let(:params) { cluster.merge('pub_dev' => 'eth9') }

      it('wins over the default route') { expect(file_content(preload)).to include('-A POSTROUTING -s 10.231.45.0/24 -o eth9 ') }
    end

    context 'without manage_gateway' do
      let(:facts) { EucalyptusSpec.with_networking(os_facts, primary: nil) }
      let(:params) { cluster.merge('manage_gateway' => false) }

      it('is not needed, so a host without a default route is fine') { is_expected.to compile.with_all_deps }
    end
  end

  describe 'failures, one line each, saying what to fix' do
    host_addresses = 'this host: eth0 10.231.45.11, eth1 10.231.46.11, lo 127.0.0.1'
    host_networks = 'this host: eth0 10.231.45.0/24, eth1 10.231.46.0/24, lo 127.0.0.0/8'
    failures = [
      # [what, parameters, facts' interfaces (nil: cc1's), primary, exact message]
      ['no entry of cluster_addresses is bound here', cluster.merge('cluster_addresses' => ['10.231.45.21', '10.231.45.22']), nil, 'eth1',
       "none of cluster_addresses (10.231.45.21, 10.231.45.22) is an address of this host (#{host_addresses}): " \
       "add this CC's private address to cluster_addresses"],
      ['two entries of cluster_addresses are bound here', cluster.merge('cluster_addresses' => ['10.231.45.11', '10.231.46.11', '10.231.45.12']), nil, 'eth1',
       'cluster_addresses holds 2 addresses of this host (10.231.45.11 on eth0, 10.231.46.11 on eth1): ' \
       "exactly one must be, this CC's own; the others are its peers"],
      ['one address in cluster_addresses', cluster.merge('cluster_addresses' => ['10.231.45.11']), nil, 'eth1',
       "cluster_addresses has 10.231.45.11 only: give every CC's private address (at least 2 distinct), the same list on both CCs"],
      ['the same address twice in cluster_addresses', cluster.merge('cluster_addresses' => ['10.231.45.11', '10.231.45.11']), nil, 'eth1',
       "cluster_addresses has 10.231.45.11 only: give every CC's private address (at least 2 distinct), the same list on both CCs"],
      ['cluster_addresses and unicast_src_ip', cluster.merge('unicast_src_ip' => '10.231.45.11', 'unicast_peers' => ['10.231.45.12']), nil, 'eth1',
       'cluster_addresses and unicast_src_ip/unicast_peers both set unicast VRRP: give cluster_addresses ' \
       '(the same list on both CCs) or unicast_src_ip and unicast_peers (per CC), not both'],
      ['cluster_addresses and unicast_peers', cluster.merge('unicast_peers' => ['10.231.45.12']), nil, 'eth1',
       'cluster_addresses and unicast_src_ip/unicast_peers both set unicast VRRP: give cluster_addresses ' \
       '(the same list on both CCs) or unicast_src_ip and unicast_peers (per CC), not both'],
      ["this CC's cluster address off the VIP's interface", cluster.merge('cluster_addresses' => ['10.231.46.11', '10.231.46.12']), nil, 'eth1',
       "this CC's address in cluster_addresses, 10.231.46.11, is on eth1, but the VIP 10.231.45.50 is on eth0's network: " \
       "VRRP must speak where the VIP lives; list the CCs' addresses on that network, or set priv_dev"],
      ['no interface on the VIP\'s network', { 'vip' => '192.0.2.50/24' }, nil, 'eth1',
       "priv_dev is not set and no interface of this host is on the network of the VIP 192.0.2.50 (#{host_networks}): " \
       'set priv_dev, or check the VIP'],
      ['two interfaces on the VIP\'s network', { 'vip' => '10.231.45.50' },
       { 'eth0' => ['10.231.45.11/24'], 'eth1' => ['10.231.46.11/24'], 'eth2' => ['10.231.45.111/25'] }, 'eth1',
       'priv_dev is not set and more than one interface of this host is on the network of the VIP 10.231.45.50 ' \
       '(eth0 and eth2; this host: eth0 10.231.45.0/24, eth1 10.231.46.0/24, eth2 10.231.45.0/25, lo 127.0.0.0/8): set priv_dev'],
      ['no IPv4 address in the facts', { 'vip' => '10.231.45.50' }, {}, 'eth1',
       'priv_dev is not set and no interface of this host is on the network of the VIP 10.231.45.50 ' \
       '(this host: lo 127.0.0.0/8): set priv_dev, or check the VIP'],
      ['manage_gateway and no default route', cluster, nil, nil,
       'manage_gateway needs pub_dev (the public interface): it is not set, and this host has no default route ' \
       'to take it from (no usable networking.primary fact); set pub_dev'],
      ['manage_gateway and the default route on the private interface', cluster, nil, 'eth0',
       "manage_gateway needs pub_dev (the public interface): it is not set, and the default route's interface " \
       '(networking.primary), eth0, is the private interface; set pub_dev'],
      ['manage_gateway without nc_network', cluster.reject { |k, _| k == 'nc_network' }, nil, 'eth1',
       "manage_gateway needs pub_dev (the public interface, by default the default route's) and nc_network " \
       "(the NCs' network, ADDRESS/PREFIX): set nc_network"],
    ]

    failures.each do |what, params, interfaces, primary, message|
      context "with #{what}" do
        let(:facts) { EucalyptusSpec.with_networking(os_facts, interfaces || EucalyptusSpec::CC1_INTERFACES, primary: primary) }
        let(:params) { params }

        it 'fails with one line that names the parameter and the host\'s networking' do
          expect { catalogue }.to raise_error(Puppet::Error) do |e|
            # Puppet appends where the failure happened; the operator's line comes first.
            line = e.message[%r{eucalyptus_cc_gateway: (.*?)(?: \((?:file|line):.*)?\z}m, 1]
            expect(line).to eq(message)
            expect(line).not_to include("\n")
          end
        end
      end
    end
  end
end
