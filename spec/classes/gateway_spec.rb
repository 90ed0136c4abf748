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
