# frozen_string_literal: true

require 'spec_helper'

# config_change_action: what a changed keepalived.conf does to keepalived, and so to the VIP.
# auto (the default) reloads unless a restart-forcing setting changed; the settings keepalived
# started with are the /run copy of the restart-keys file, made by a drop-in's ExecStartPre.
describe 'eucalyptus_cc_gateway' do
  let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }
  let(:config) { EucalyptusSpec::CONFIG }
  let(:keys) { '/etc/keepalived/eucalyptus_cc_gateway.restart-keys' }
  let(:running_keys) { '/run/eucalyptus_cc_gateway.restart-keys' }
  let(:dropin) { '/etc/systemd/system/keepalived.service.d/eucalyptus_cc_gateway-restart-keys.conf' }
  let(:auto_restart) do
    "/usr/bin/cmp -s #{keys} #{running_keys} && /bin/systemctl reload keepalived || /bin/systemctl restart keepalived"
  end

  header = "# Managed by Puppet (eucalyptus_cc_gateway): keepalived.conf settings a reload cannot take.\n"
  default_keys = "#{header}interface eth1\nvirtual_router_id 45\nversion 3\nadvert_int 0.1\n"

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os}, by default" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

      it 'reloads keepalived on a refresh unless the restart keys differ from what it started with' do
        is_expected.to contain_service('keepalived').with_restart(auto_restart)
      end

      it 'writes the restart keys, root-owned 0644, after keepalived.conf and before keepalived starts' do
        is_expected.to contain_file(keys).with(ensure: 'file', owner: 'root', group: 'root', mode: '0644', content: default_keys)
        is_expected.to contain_file(keys).that_requires("File[#{config}]")
        is_expected.to contain_file(keys).that_notifies('Service[keepalived]')
      end

      it 'has systemd record them, whoever starts keepalived; a missing file does not stop the start' do
        is_expected.to contain_file(dropin).with(ensure: 'file', owner: 'root', group: 'root', mode: '0644').with_content(
          "# Managed by Puppet (eucalyptus_cc_gateway): what keepalived started with (config_change_action auto).\n" \
          "[Service]\nExecStartPre=-/bin/rm -f #{running_keys}\nExecStartPre=-/bin/cp #{keys} #{running_keys}\n",
        ).that_notifies('Service[keepalived]')
        is_expected.to contain_file('/etc/systemd/system/keepalived.service.d').with_ensure('directory').that_comes_before("File[#{dropin}]")
      end
    end
  end

  describe 'the restart keys' do
    context 'with a setting a reload takes changed (notification_email, priority, the VIP, the check)' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('notification_email' => ['ops@example.com'], 'priority' => 120,
                                             'vip' => '10.231.45.60/24', 'check_interval' => 2)
      end

      it('are the same: the refresh reloads') { is_expected.to contain_file(keys).with_content(default_keys) }
    end

    context 'with virtual_router_id changed' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('virtual_router_id' => 46) }

      it('differ: the refresh restarts') { is_expected.to contain_file(keys).with_content(default_keys.sub('virtual_router_id 45', 'virtual_router_id 46')) }
    end

    context 'with VRRPv2, whole-second adverts and a password' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('vrrp_version' => 2, 'advert_int' => 1, 'auth_pass' => RSpec::Puppet::Sensitive.new('Kx7pw2Qz'))
      end

      it 'hold the version and interval, never the password' do
        expect(file_content(keys)).to eq("#{header}interface eth1\nvirtual_router_id 45\nversion 2\nadvert_int 1\n")
        expect(file_content(keys)).not_to include('Kx7pw2Qz')
        expect(file_content(dropin)).not_to include('Kx7pw2Qz')
      end
    end

    context 'with unicast from cluster_addresses and the interface from the facts' do
      let(:facts) { EucalyptusSpec.with_networking(EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64')) }
      let(:params) { { 'vip' => '10.231.45.50', 'cluster_addresses' => ['10.231.45.11', '10.231.45.12', '10.231.45.13'] } }

      it 'hold the effective interface, source and peers' do
        expect(file_content(keys)).to eq(
          "#{header}interface eth0\nvirtual_router_id 45\nversion 3\nadvert_int 0.1\n" \
          "unicast_src_ip 10.231.45.11\nunicast_peer 10.231.45.12 10.231.45.13\n",
        )
      end
    end

    context 'with keepalived.conf elsewhere and another service name' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('config_path' => '/etc/keepalived gw/gw.conf', 'service_name' => 'keepalived-gw')
      end

      it 'live beside keepalived.conf, quoted for the shell and for systemd' do
        is_expected.to contain_file('/etc/keepalived gw/eucalyptus_cc_gateway.restart-keys').with_content(default_keys)
        is_expected.to contain_service('keepalived-gw').with_restart(
          "/usr/bin/cmp -s /etc/keepalived\\ gw/eucalyptus_cc_gateway.restart-keys #{running_keys} " \
          '&& /bin/systemctl reload keepalived-gw || /bin/systemctl restart keepalived-gw',
        )
        expect(file_content('/etc/systemd/system/keepalived-gw.service.d/eucalyptus_cc_gateway-restart-keys.conf'))
          .to include(%(ExecStartPre=-/bin/cp "/etc/keepalived gw/eucalyptus_cc_gateway.restart-keys" #{running_keys}\n))
      end
    end
  end

  context 'with restart_on_failure false' do
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('restart_on_failure' => false) }

    it 'still records the keys, in a drop-in of its own' do
      is_expected.to contain_file(dropin).with_content(%r{^ExecStartPre=-/bin/cp })
      is_expected.to contain_file('/etc/systemd/system/keepalived.service.d').with_ensure('directory')
      is_expected.not_to contain_file('/etc/systemd/system/keepalived.service.d/eucalyptus_cc_gateway.conf')
    end
  end

  { 'restart' => nil, 'reload' => '/bin/systemctl reload keepalived' }.each do |action, command|
    context "with config_change_action => #{action}" do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => action) }

      it("#{action}s on every refresh, as before") { is_expected.to contain_service('keepalived').with_restart(command) }

      it 'removes the restart keys, their copy and the drop-in (a stale copy could match later keys)' do
        [keys, running_keys, dropin].each { |f| is_expected.to contain_file(f).with_ensure('absent') }
      end

      it 'keeps the restart_on_failure drop-in as it was' do
        is_expected.to contain_file('/etc/systemd/system/keepalived.service.d/eucalyptus_cc_gateway.conf')
          .with_content("# Managed by Puppet (eucalyptus_cc_gateway).\n[Service]\nRestart=on-failure\nRestartSec=1\n")
      end
    end
  end

  context 'with manage_service false' do
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_service' => false) }

    it 'leaves the restart keys and the drop-ins alone: nothing refreshes keepalived' do
      [keys, running_keys, dropin].each { |f| is_expected.not_to contain_file(f) }
    end
  end
end
