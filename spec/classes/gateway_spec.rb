# frozen_string_literal: true

require 'spec_helper'

# The optional gateway part: forwarding and NAT for the NCs, kept in iptables-preload and
# re-applied by keepalived on becoming MASTER.
describe 'eucalyptus_cc_gateway' do
  let(:gateway) do
    EucalyptusSpec::MINIMAL_PARAMS.merge('manage_gateway' => true, 'pub_dev' => 'eth0', 'nc_network' => '10.231.45.0/24')
  end
  let(:preload) { '/var/run/eucalyptus/net/iptables-preload' }
  let(:script) { '/usr/local/sbin/eucalyptus-cc-gateway-nat' }

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os} with manage_gateway" do
      let(:facts) { os_facts }
      let(:params) { gateway }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.to contain_class('eucalyptus_cc_gateway::gateway').that_comes_before('Class[eucalyptus_cc_gateway::config]') }
      it { is_expected.to contain_class('eucalyptus_cc_gateway::gateway').that_requires('Class[eucalyptus_cc_gateway::install]') }
      it { is_expected.to contain_class('eucalyptus_cc_gateway::iptables').that_comes_before('Class[eucalyptus_cc_gateway::config]') }
      it { is_expected.to contain_class('eucalyptus_cc_gateway::iptables').that_requires('Class[eucalyptus_cc_gateway::install]') }
      it { is_expected.not_to contain_class('eucalyptus_cc_gateway::firewall') }

      it 'keeps IPv4 forwarding on across reboots, and turns it on now only when it is off' do
        is_expected.to contain_file('/etc/sysctl.d/60-eucalyptus-cc-gateway.conf')
          .with(owner: 'root', mode: '0644', content: %r{^net\.ipv4\.ip_forward = 1$})
        is_expected.to contain_exec('eucalyptus_cc_gateway: enable IPv4 forwarding')
          .with(command: 'sysctl -w net.ipv4.ip_forward=1', unless: 'grep -qx 1 /proc/sys/net/ipv4/ip_forward')
      end

      it 'writes the rules into the CC\'s iptables-preload, in iptables-restore format' do
        is_expected.to contain_file(preload).with(owner: 'root', mode: '0644')
        content = file_content(preload)
        expect(content).to include("*nat\n")
        expect(content).to include('-A POSTROUTING -s 10.231.45.0/24 -o eth0 -m comment --comment eucalyptus_cc_gateway -j MASQUERADE')
        expect(content).to include('-A FORWARD -i eth1 -o eth0 -s 10.231.45.0/24 -m comment --comment eucalyptus_cc_gateway -j ACCEPT')
        expect(content.scan(%r{^COMMIT$}).size).to eq(2)
        expect(content).not_to match(%r{^-A INPUT}), 'no VRRP rule without manage_firewall'
      end

      it 'leaves every chain policy as it is (a DROP policy stays DROP)' do
        chains = file_content(preload).lines.grep(%r{^:})
        expect(chains.size).to eq(7)
        expect(chains).to all(match(%r{\A:[A-Z]+ - \[0:0\]\n\z}))
      end

      it 'puts the rules in place now, only when one is missing' do
        is_expected.to contain_file(script).with(owner: 'root', mode: '0750')
        is_expected.to contain_exec('eucalyptus_cc_gateway: iptables rules')
          .with(command: script, unless: "#{script} --check").that_requires("File[#{script}]")
      end

      it 'has keepalived re-apply the rules as root on becoming MASTER' do
        expect(file_content('/etc/keepalived/keepalived.conf')).to include(%(notify_master "#{script}" root root))
      end
    end
  end

  context 'without manage_gateway (the default)' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

    it { is_expected.not_to contain_class('eucalyptus_cc_gateway::gateway') }
    it { is_expected.not_to contain_class('eucalyptus_cc_gateway::iptables') }
    it { is_expected.not_to contain_class('eucalyptus_cc_gateway::firewall') }
    it { expect(file_content('/etc/keepalived/keepalived.conf')).not_to include('notify_master') }
  end

  context 'with the preload of Eucalyptus 3.2.1 and later and a custom home' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }
    let(:params) { gateway.merge('iptables_preload_path' => '/etc/eucalyptus/iptables-preload') }

    it { is_expected.to contain_file('/etc/eucalyptus/iptables-preload') }
    it { is_expected.to contain_exec('eucalyptus_cc_gateway: iptables-preload directory').with(creates: '/etc/eucalyptus') }
  end
end

describe 'eucalyptus_cc_gateway' do
  let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }
  let(:dropin) { '/etc/systemd/system/keepalived.service.d/eucalyptus_cc_gateway.conf' }

  context 'by default' do
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

    it 'has systemd restart a crashed keepalived' do
      is_expected.to contain_file(dropin).with(content: %r{^Restart=on-failure$}).that_notifies('Service[keepalived]')
    end

    it 'has systemd drop the VIP a killed keepalived leaves on priv_dev, whatever the delete finds' do
      is_expected.to contain_file(dropin).with_content(
        %r{^ExecStopPost=/bin/sh -c '/sbin/ip -4 addr del #{Regexp.escape(params['vip'])}/32 dev #{params['priv_dev']} 2>/dev/null \|\| true'$},
      )
    end
  end

  context 'with a VIP that carries its prefix' do
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('vip' => '10.231.45.50/24') }

    it 'drops exactly that address' do
      is_expected.to contain_file(dropin).with_content(%r{addr del 10\.231\.45\.50/24 dev })
    end
  end

  context 'with restart_on_failure false' do
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('restart_on_failure' => false) }

    it 'leaves restarts to the unit, and still drops a killed keepalived\'s VIP' do
      is_expected.to contain_file(dropin).without_content(%r{^Restart}).with_content(%r{^ExecStopPost=})
    end
  end
end

describe 'eucalyptus_cc_gateway' do
  let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }
  let(:base) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_gateway' => true, 'pub_dev' => 'eth0', 'nc_network' => '10.231.45.0/24') }
  let(:tmpfiles) { '/etc/tmpfiles.d/eucalyptus-cc-gateway.conf' }

  context 'with the preload on tmpfs (the default, under /var/run)' do
    let(:params) { base }

    it 'keeps a copy in /etc and has systemd-tmpfiles restore it at boot' do
      is_expected.to contain_file('/etc/keepalived/eucalyptus-cc-gateway.iptables-preload')
      is_expected.to contain_file(tmpfiles).with_content(
        %r{^C /var/run/eucalyptus/net/iptables-preload - - - - /etc/keepalived/eucalyptus-cc-gateway\.iptables-preload$},
      )
    end
  end

  context 'with the preload in /etc' do
    let(:params) { base.merge('iptables_preload_path' => '/etc/eucalyptus/iptables-preload') }

    it { is_expected.not_to contain_file(tmpfiles) }
  end
end

# The NAT backstop (nat_backstop, with manage_gateway): the NCs' masquerading again, from an
# nftables table of the module's own that the CC never flushes, loaded by the rules script.
describe 'eucalyptus_cc_gateway' do
  let(:gateway) do
    EucalyptusSpec::MINIMAL_PARAMS.merge('manage_gateway' => true, 'pub_dev' => 'eth0', 'nc_network' => '10.231.45.0/24')
  end
  let(:script) { '/usr/local/sbin/eucalyptus-cc-gateway-nat' }
  let(:rule) { 'ip saddr 10.231.45.0/24 oifname "eth0" masquerade' }

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    el7 = os_facts[:os]['family'] == 'RedHat' && os_facts[:os]['release']['major'] == '7'

    context "on #{os} with manage_gateway" do
      let(:facts) { os_facts }
      let(:params) { gateway }

      if el7
        it 'has no backstop (kernel 3.10: no nftables nat chain beside iptables\' nat table)' do
          expect(file_content(script)).not_to include('nft')
          is_expected.not_to contain_package('nftables')
        end
      else
        it 'loads the backstop table from the rules script, and installs nftables before it runs' do
          expect(file_content(script)).to include("table ip eucalyptus_cc_gateway {\n", "    #{rule}\n")
          is_expected.to contain_package('nftables').with_ensure('installed')
            .that_comes_before('Exec[eucalyptus_cc_gateway: iptables rules]')
        end
      end
    end
  end

  context 'on Debian 12' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }

    context 'with manage_gateway (nat_backstop by default)' do
      let(:params) { gateway }
      let(:content) { file_content(script) }

      it 'replaces the whole table in one nft transaction, the CC\'s own nat first (priority 110 > 100)' do
        expect(content).to include(<<~TRANSACTION)
          nft -f - <<'NFT' || failed=1
          table ip eucalyptus_cc_gateway
          delete table ip eucalyptus_cc_gateway
          table ip eucalyptus_cc_gateway {
            chain postrouting {
              type nat hook postrouting priority 110; policy accept;
              #{rule}
            }
          }
          NFT
        TRANSACTION
      end

      it 'finds the rule as nft lists it, and --check reports it missing when the table or the rule is' do
        expect(content).to include(
          "  nft list chain ip eucalyptus_cc_gateway postrouting 2>/dev/null | sed 's/^[[:space:]]*//' \\\n" \
          "    | grep -qxF '#{rule}' && return 0\n  missing=1\n  [ \"$mode\" = --check ] && return 0\n",
        )
        expect(content).to include("ensure_nft\n[ \"$mode\" = --check ] && exit \"$missing\"\nexit \"$failed\"\n")
      end

      it 'says in one line what to do where nft is missing, and fails the run (not the check)' do
        expect(content).to include(
          "  if ! command -v nft >/dev/null 2>&1; then\n    missing=1\n    [ \"$mode\" = --check ] && return 0\n" \
          "    echo \"eucalyptus_cc_gateway: nft is missing on this host: install nftables, or set nat_backstop => false\" >&2\n" \
          "    failed=1\n",
        )
      end

      it 'loads it after the iptables rules, which stay first' do
        expect(content.index('ensure nat POSTROUTING last -s 10.231.45.0/24 -o eth0')).to be < content.index('ensure_nft()')
      end

      it 'puts nothing for the backstop in iptables-preload' do
        expect(file_content('/var/run/eucalyptus/net/iptables-preload')).not_to include('nft', 'eucalyptus_cc_gateway {')
      end
    end

    context 'with an NC network given with host bits, and another public interface' do
      let(:params) { gateway.merge('nc_network' => '10.231.45.77/25', 'pub_dev' => 'bond1.46') }

      it 'writes the network as nft lists it, so that --check finds it' do
        expect(file_content(script)).to include(%(grep -qxF 'ip saddr 10.231.45.0/25 oifname "bond1.46" masquerade'))
        expect(file_content(script).scan('ip saddr 10.231.45.0/25 oifname "bond1.46" masquerade').size).to eq(2)
      end
    end

    context 'with a single NC address' do
      let(:params) { gateway.merge('nc_network' => '10.231.45.21/32') }

      it { expect(file_content(script)).to include(%(    ip saddr 10.231.45.21 oifname "eth0" masquerade\n)) }
    end

    context 'with nat_backstop => false' do
      let(:params) { gateway.merge('nat_backstop' => false) }

      it 'has no backstop and installs no nftables' do
        expect(file_content(script)).not_to include('nft')
        is_expected.not_to contain_package('nftables')
      end

      it 'exits 0 after the iptables rules, as before' do
        expect(file_content(script)).to include("[ \"$mode\" = --check ] && exit \"$missing\"\nexit \"$failed\"\n")
        expect(file_content(script)).not_to include('failed=1')
      end
    end

    context 'with manage_package => false' do
      let(:params) { gateway.merge('manage_package' => false) }

      it 'leaves nftables to the operator, the table still loaded' do
        is_expected.not_to contain_package('nftables')
        expect(file_content(script)).to include('table ip eucalyptus_cc_gateway {')
      end
    end

    context 'with manage_firewall alone (no manage_gateway)' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_firewall' => true, 'unicast_peers' => ['10.231.45.12']) }

      it 'has no NAT and so no backstop' do
        expect(file_content(script)).not_to include('nft')
        is_expected.not_to contain_package('nftables')
      end
    end
  end
end
