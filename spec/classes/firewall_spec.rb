# frozen_string_literal: true

require 'spec_helper'

# manage_firewall: VRRP let in on priv_dev, in iptables-preload (which survives the CC's flush
# cycle), in the rules script keepalived runs on becoming MASTER, and through firewalld where it
# runs (a rich rule in priv_dev's zone). Every OS; multicast and unicast; with and without the
# gateway part.
describe 'eucalyptus_cc_gateway' do
  let(:preload) { '/var/run/eucalyptus/net/iptables-preload' }
  let(:script) { '/usr/local/sbin/eucalyptus-cc-gateway-nat' }
  let(:config) { EucalyptusSpec::CONFIG }
  let(:not_running) { '! firewall-cmd --state >/dev/null 2>&1' }
  # The zone that holds priv_dev, else the default zone: looked up on the node, in the command.
  let(:zone) do
    '{ zone=$(firewall-cmd --get-zone-of-interface=eth1 2>/dev/null) || zone=$(firewall-cmd --get-default-zone); }'
  end

  gateway = { 'manage_gateway' => true, 'pub_dev' => 'eth0', 'nc_network' => '10.231.45.0/24' }
  topologies = {
    'multicast' => {
      params: {},
      matches: ['-i eth1 -p 112 -d 224.0.0.18'],
      rich_rules: { 'to 224.0.0.18' => 'rule family="ipv4" destination address="224.0.0.18" protocol value="112" accept' },
    },
    'unicast' => {
      params: { 'unicast_src_ip' => '10.231.45.11', 'unicast_peers' => ['10.231.45.12', '10.231.45.13'] },
      matches: ['-i eth1 -p 112 -s 10.231.45.12', '-i eth1 -p 112 -s 10.231.45.13'],
      rich_rules: {
        'from 10.231.45.12' => 'rule family="ipv4" source address="10.231.45.12" protocol value="112" accept',
        'from 10.231.45.13' => 'rule family="ipv4" source address="10.231.45.13" protocol value="112" accept',
      },
    },
  }

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    topologies.each do |topology, t|
      [false, true].each do |with_gateway|
        context "on #{os}, #{topology}, manage_firewall#{with_gateway ? ' and manage_gateway' : ' alone'}" do
          let(:facts) { os_facts }
          let(:params) do
            EucalyptusSpec::MINIMAL_PARAMS.merge('manage_firewall' => true).merge(t[:params]).merge(with_gateway ? gateway : {})
          end
          let(:rules) { t[:matches].map { |m| "#{m} -m comment --comment eucalyptus_cc_gateway -j ACCEPT" } }

          it { is_expected.to compile.with_all_deps }
          it { is_expected.to contain_class('eucalyptus_cc_gateway::iptables').that_comes_before('Class[eucalyptus_cc_gateway::config]') }
          it { is_expected.to contain_class('eucalyptus_cc_gateway::firewall').that_comes_before('Class[eucalyptus_cc_gateway::config]') }

          it 'writes the VRRP rule(s) into iptables-preload, once, ahead of anything else' do
            content = file_content(preload)
            inputs = content.lines.grep(%r{^-A INPUT}).map(&:chomp)
            expect(inputs).to eq(rules.map { |r| "-A INPUT #{r}" })
            expect(content.lines.grep(%r{^-A }).first.chomp).to eq("-A INPUT #{rules.first}")
            expect(content.scan(%r{^\*filter$}).size).to eq(1)
          end

          it 'has the rules script put the VRRP rule(s) back, first in INPUT, each only when missing' do
            lines = file_content(script).lines.map(&:chomp)
            rules.each { |r| expect(lines).to include("ensure filter INPUT first #{r}") }
            is_expected.to contain_exec('eucalyptus_cc_gateway: iptables rules').with(command: script, unless: "#{script} --check")
          end

          it 'has keepalived run the rules script as root on becoming MASTER' do
            expect(file_content(config)).to include(%(notify_master "#{script}" root root))
          end

          it 'adds a rich rule per match to the zone of priv_dev in firewalld, permanent and runtime, only where firewalld runs and only when missing' do
            t[:rich_rules].each do |what, rich|
              { 'permanent' => '--permanent ', 'runtime' => '' }.each do |kind, option|
                in_zone = "#{zone} && firewall-cmd #{option}--zone=\"$zone\""
                is_expected.to contain_exec("eucalyptus_cc_gateway: firewalld #{kind} rich rule: VRRP #{what}").with(
                  command: "#{in_zone} --add-rich-rule='#{rich}'",
                  unless: "#{not_running} || { #{in_zone} --query-rich-rule='#{rich}'; }",
                  provider: 'shell',
                )
              end
            end
            firewalld = catalogue.resources.select { |r| r.type == 'Exec' && r.title.include?('firewalld') }
            expect(firewalld.size).to eq(2 * rules.size)
            firewalld.each { |r| expect("#{r[:command]} #{r[:unless]}").not_to include('--direct') }
          end

          if with_gateway
            it 'keeps the gateway rules beside them, in the same file and script' do
              content = file_content(preload)
              expect(content).to include('-A POSTROUTING -s 10.231.45.0/24 -o eth0 -m comment --comment eucalyptus_cc_gateway -j MASQUERADE')
              expect(content.lines.grep(%r{^-A FORWARD}).size).to eq(2)
              expect(file_content(script).lines.grep(%r{^ensure }).size).to eq(rules.size + 3)
            end

            it { is_expected.to contain_class('eucalyptus_cc_gateway::gateway') }
          else
            it 'writes no gateway rule, no nat table and no forwarding' do
              content = file_content(preload)
              expect(content).not_to match(%r{^-A (FORWARD|POSTROUTING)})
              expect(content).not_to include('*nat')
              expect(file_content(script).lines.grep(%r{^ensure }).size).to eq(rules.size)
              is_expected.not_to contain_class('eucalyptus_cc_gateway::gateway')
              is_expected.not_to contain_file('/etc/sysctl.d/60-eucalyptus-cc-gateway.conf')
            end
          end
        end
      end
    end

    context "on #{os} without manage_firewall (the default)" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge(gateway) }

      it 'lets nothing in and touches no firewalld' do
        expect(file_content(preload)).not_to match(%r{^-A INPUT})
        expect(file_content(script)).not_to include('ensure filter INPUT')
        is_expected.not_to contain_class('eucalyptus_cc_gateway::firewall')
      end
    end
  end

  context 'with priv_dev on a VLAN of a bond' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('rocky-9-x86_64') }
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_firewall' => true, 'priv_dev' => 'bond0.45') }

    it 'looks up the zone of that interface' do
      %w[permanent runtime].each do |kind|
        exec = catalogue.resource('Exec', "eucalyptus_cc_gateway: firewalld #{kind} rich rule: VRRP to 224.0.0.18")
        expect(exec[:command]).to start_with('{ zone=$(firewall-cmd --get-zone-of-interface=bond0.45 2>/dev/null) || ')
      end
    end
  end

  context 'with manage_firewall not a Boolean' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_firewall' => 'on') }

    it { is_expected.to compile.and_raise_error(%r{'manage_firewall'}) }
  end
end
