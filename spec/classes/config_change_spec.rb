# frozen_string_literal: true

require 'spec_helper'

# config_change_action: what a changed keepalived.conf does to keepalived, and so to the VIP.
# reload (the default) is SIGHUP: keepalived keeps its VRRP state and the check's result.
# restart leaves Puppet's own restart (stop, start: the holder gives the VIP away and back).
describe 'eucalyptus_cc_gateway' do
  let(:config) { EucalyptusSpec::CONFIG }
  let(:dropin_dir) { '/etc/systemd/system/keepalived.service.d' }

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os}, by default" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

      it 'reloads keepalived when keepalived.conf changes' do
        is_expected.to contain_service('keepalived').with_restart('/bin/systemctl reload keepalived')
        is_expected.to contain_file(config).that_notifies('Service[keepalived]')
      end
    end
  end

  context 'on one OS' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }

    context 'with config_change_action => restart' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => 'restart') }

      it 'leaves restart unset: Puppet restarts keepalived on every refresh' do
        is_expected.to contain_service('keepalived').with_restart(nil)
        is_expected.to contain_file(config).that_notifies('Service[keepalived]')
      end
    end

    context 'with config_change_action => reload and another service name' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => 'reload', 'service_name' => 'keepalived-gw') }

      it { is_expected.to contain_service('keepalived-gw').with_restart('/bin/systemctl reload keepalived-gw') }
    end

    ['reload', 'restart'].each do |action|
      context "with config_change_action => #{action}" do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => action) }

        it 'puts nothing in the unit\'s drop-in directory but the module\'s own drop-in' do
          managed = catalogue.resources.select { |r| r.type == 'File' && r.title.start_with?(dropin_dir) }.map(&:title)
          expect(managed).to contain_exactly(dropin_dir, "#{dropin_dir}/eucalyptus_cc_gateway.conf")
          is_expected.to contain_file("#{dropin_dir}/eucalyptus_cc_gateway.conf")
            .with_content(Regexp.new('\\A' + Regexp.escape(<<~DROPIN)))
              # Managed by Puppet (eucalyptus_cc_gateway).
              [Unit]
              # The CC state watcher writes the file keepalived tracks: started with keepalived, and first.
              Wants=eucalyptus-cc-watcher.service
              After=eucalyptus-cc-watcher.service

              [Service]
              Restart=on-failure
              RestartSec=1
            DROPIN
        end
      end

      context "with config_change_action => #{action} and check_method => script" do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => action, 'check_method' => 'script') }

        it 'writes the drop-in without the watcher' do
          managed = catalogue.resources.select { |r| r.type == 'File' && r.title.start_with?(dropin_dir) }.map(&:title)
          expect(managed).to contain_exactly(dropin_dir, "#{dropin_dir}/eucalyptus_cc_gateway.conf")
          is_expected.to contain_file("#{dropin_dir}/eucalyptus_cc_gateway.conf")
            .with_content(%r{\A# Managed by Puppet \(eucalyptus_cc_gateway\)\.\n\[Service\]\nRestart=on-failure\nRestartSec=1\n})
        end
      end
    end

    context 'with manage_service false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_service' => false) }

      it 'has no service to refresh and no drop-in' do
        is_expected.not_to contain_service('keepalived')
        is_expected.not_to contain_file(dropin_dir)
      end
    end
  end
end
