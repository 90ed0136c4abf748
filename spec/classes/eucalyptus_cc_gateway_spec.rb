# frozen_string_literal: true

require 'spec_helper'

# The public class, on every OS of metadata.json, then (on one OS) every parameter, every
# cross-check and the compile-time warning. Bad values live in bad_values_spec.rb.
describe 'eucalyptus_cc_gateway' do
  let(:config) { EucalyptusSpec::CONFIG }
  let(:check) { EucalyptusSpec::CHECK }
  let(:ccclient) { EucalyptusSpec::CCCLIENT }
  let(:config_test) { EucalyptusSpec::CONFIG_TEST }
  let(:cloud_pk_file) { '/var/lib/eucalyptus/keys/cloud-pk.pem' }
  let(:private_classes) { %w[install check config service].map { |c| "eucalyptus_cc_gateway::#{c}" } }
  # The OSes whose keepalived has no track_file (EL7: 1.3.5, Ubuntu 20.04: 2.0.19) default to the
  # check script; every other one to the watcher.
  let(:script_oses) { %w[centos-7-x86_64 redhat-7-x86_64 ubuntu-20.04-x86_64] }

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os}" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }
      let(:el7) { os_facts[:os]['family'] == 'RedHat' && os_facts[:os]['release']['major'] == '7' }

      it { is_expected.to compile.with_all_deps }

      it 'contains the private classes' do
        private_classes.each { |c| is_expected.to contain_class(c) }
      end

      it 'runs the watcher, except where keepalived has no track_file' do
        if script_oses.include?(os)
          is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'stopped', enable: false)
        else
          is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'running', enable: true)
        end
      end

      it { is_expected.to contain_package('keepalived').with_ensure('installed') }

      it 'creates the check user and group as system accounts that cannot log in' do
        is_expected.to contain_group('keepalived_script').with(ensure: 'present', system: true)
        is_expected.to contain_user('keepalived_script').with(
          ensure: 'present', system: true, gid: 'keepalived_script',
          home: '/nonexistent', managehome: false, shell: '/usr/sbin/nologin'
        )
      end

      it 'writes keepalived.conf root-only, never shown in diffs, its content Sensitive' do
        is_expected.to contain_file(config).with(
          ensure: 'file', owner: 'root', group: 'root', mode: '0600', show_diff: false,
        ).that_requires("File[#{config_test}]")
        expect(catalogue.resource('File', config).sensitive_parameters).to include(:content)
        is_expected.to contain_file(config).with_content(sensitive(%r{^\s*virtual_ipaddress \{$}))
      end

      it 'ships the check script, runnable by root and the check group only' do
        is_expected.to contain_file(check).with(
          ensure: 'file', owner: 'root', group: 'keepalived_script', mode: '0750',
        ).with_content(%r{\A#!/bin/bash\n})
      end

      it 'ships the config test wrapper' do
        is_expected.to contain_file(config_test).with(
          ensure: 'file', owner: 'root', group: 'root', mode: '0755',
          source: 'puppet:///modules/eucalyptus_cc_gateway/keepalived-config-test',
        )
      end

      it 'installs neither CCclient_full nor cloud-pk.pem unless given' do
        is_expected.not_to contain_file(ccclient)
        is_expected.not_to contain_file(cloud_pk_file)
      end

      # config_change_action reload, the default (config_change_spec.rb).
      it { is_expected.to contain_service('keepalived').with(ensure: 'running', enable: true, restart: '/bin/systemctl reload keepalived') }

      it 'validates keepalived.conf before replacing it, except on EL7 (keepalived 1.3 has no -t)' do
        if el7
          is_expected.to contain_file(config).with_validate_cmd(nil)
        else
          is_expected.to contain_file(config).with_validate_cmd("#{config_test} /usr/sbin/keepalived %")
        end
      end

      it 'orders install -> check -> config ~> service' do
        is_expected.to contain_class('eucalyptus_cc_gateway::install')
          .that_comes_before('Class[eucalyptus_cc_gateway::check]')
        is_expected.to contain_class('eucalyptus_cc_gateway::check')
          .that_comes_before('Class[eucalyptus_cc_gateway::config]')
        is_expected.to contain_class('eucalyptus_cc_gateway::config')
          .that_notifies('Class[eucalyptus_cc_gateway::service]')
      end

      it 'so the package and check exist before the config, and a config change restarts keepalived' do
        is_expected.to contain_package('keepalived').that_comes_before("File[#{check}]")
        is_expected.to contain_user('keepalived_script').that_comes_before("File[#{config}]")
        is_expected.to contain_file(check).that_comes_before("File[#{config}]")
        is_expected.to contain_file(config).that_notifies('Service[keepalived]')
      end

      it 'names the host in router_id (networking.fqdn)' do
        expect(file_content(config)).to include("router_id #{os_facts[:networking]['fqdn']}\n")
      end

      context 'with every optional file' do
        let(:params) do
          EucalyptusSpec::MINIMAL_PARAMS.merge(
            'ccclient' => 'ccclient_full',
            'check_method' => 'script',
            'ccclient_source' => 'puppet:///modules/site/CCclient_full',
            'ccclient_checksum' => "sha256:#{'0123456789abcdef' * 4}",
            'cloud_pk' => sensitive("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"),
          )
        end

        it { is_expected.to compile.with_all_deps }

        it { is_expected.not_to contain_exec('eucalyptus_cc_gateway: no CCclient_full at /usr/local/sbin/CCclient_full') }

        it 'installs CCclient_full from its source, checksummed, for root and the check group' do
          is_expected.to contain_file(ccclient).with(
            ensure: 'file', owner: 'root', group: 'keepalived_script', mode: '0750',
            source: 'puppet:///modules/site/CCclient_full',
            checksum: 'sha256', checksum_value: '0123456789abcdef' * 4,
          ).that_comes_before("File[#{config}]")
        end

        it 'writes cloud-pk.pem for the check user only, Sensitive and never diffed' do
          is_expected.to contain_file(cloud_pk_file).with(
            ensure: 'file', owner: 'keepalived_script', group: 'root', mode: '0600', show_diff: false,
          ).with_content(sensitive(%r{\A-----BEGIN RSA PRIVATE KEY-----\n}))
          expect(catalogue.resource('File', cloud_pk_file).sensitive_parameters).to include(:content)
        end
      end
    end
  end

  context 'on one OS' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }

    # One value for every parameter of the class, none of them its default.
    full_params = {
      'vip' => '10.231.45.50/24',
      'priv_dev' => 'bond0.45',
      'auth_pass' => RSpec::Puppet::Sensitive.new('s3cret-x'),
      'server_hostname' => 'cc1.cloud.example',
      'virtual_router_id' => 77,
      'priority' => 150,
      'advert_int' => 2,
      'vrrp_version' => 2,
      'down_timer_adverts' => 10,
      # CCclient_full goes with the check script (the watcher runs the shipped client):
      # watcher_spec.rb sets the watcher's own parameters with it.
      'check_method' => 'script',
      'watch_interval' => 0.5,
      'watch_timeout' => 3,
      'watcher_service_name' => 'cc-watch',
      'check_interval' => 3,
      'check_weight' => 20,
      'check_fall' => 4,
      'check_rise' => 5,
      'check_timeout' => 9,
      # Its default: a non-empty list excludes unicast_src_ip and unicast_peers, set here
      # (cluster_data_spec.rb sets it).
      'cluster_addresses' => [],
      'unicast_src_ip' => '10.231.45.11',
      'unicast_peers' => ['10.231.45.12', '10.231.45.13'],
      'notification_email' => ['ops@example.com', 'noc@example.org'],
      'notification_email_from' => 'keepalived@cc1.cloud.example',
      'smtp_server' => 'smtp.example.com',
      'smtp_connect_timeout' => 45,
      'smtp_alert' => true,
      'cc_endpoint' => 'cc1.cloud.example:18774',
      'ccclient' => 'ccclient_full',
      'state_client_path' => '/opt/cc/bin/cc-state',
      'client_packages' => ['python3.11', 'openssl3'],
      'keys_dir' => '/opt/eucalyptus/var/lib/eucalyptus/keys/',
      'ccclient_source' => 'https://files.example.com/euca/CCclient_full',
      'ccclient_checksum' => "md5:#{'a1' * 16}",
      'ccclient_path' => '/opt/euca tools/CCclient_full',
      'check_script_path' => '/usr/local/libexec/cc-enabled.sh',
      'axis2c_home' => '/opt/axis2c 1.6',
      'eucalyptus_home' => '/opt/eucalyptus/',
      'cloud_pk' => RSpec::Puppet::Sensitive.new("-----BEGIN PRIVATE KEY-----\nPKDATA\n-----END PRIVATE KEY-----\n"),
      'script_user' => 'vrrpcheck',
      'script_group' => 'vrrpgroup',
      'manage_script_user' => true,
      'manage_package' => true,
      'package_name' => 'keepalived-gw',
      'package_ensure' => '1:2.2.7-1',
      'manage_service' => true,
      'service_name' => 'keepalived-gw',
      'service_ensure' => 'stopped',
      'service_enable' => false,
      'restart_on_failure' => true,
      'config_change_action' => 'restart',
      'config_path' => '/etc/keepalived/gw.conf',
      'validate_config' => true,
      'keepalived_path' => '/opt/keepalived/sbin/keepalived',
      'manage_gateway' => true,
      'nat_backstop' => false,
      'pub_dev' => 'eth2',
      'nc_network' => '10.231.45.0/24',
      'iptables_preload_path' => '/etc/eucalyptus/iptables-preload',
      'gateway_script_path' => '/usr/local/libexec/cc-gateway-nat',
      'manage_firewall' => true,
      'manage_selinux' => true,
      'selinux_packages' => ['semanage-tools'],
    }

    it 'the parameter set below names every documented parameter of init.pp' do
      documented = File.read(File.join(REPO_ROOT, 'manifests', 'init.pp')).scan(%r{^#\s*@param\s+(\w+)}).flatten
      expect(full_params.keys).to match_array(documented)
    end

    context 'with every parameter set' do
      let(:params) { full_params }
      let(:conf) { file_content('/etc/keepalived/gw.conf') }
      let(:script) { file_content('/usr/local/libexec/cc-enabled.sh') }

      it { is_expected.to compile.with_all_deps }

      it 'renders keepalived.conf from them, line by line' do
        expect(significant_lines('/etc/keepalived/gw.conf')).to eq([
          'global_defs {',
          'router_id cc1.cloud.example',
          'enable_script_security',
          'script_user vrrpcheck vrrpgroup',
          'notification_email {',
          'ops@example.com',
          'noc@example.org',
          '}',
          'notification_email_from keepalived@cc1.cloud.example',
          'smtp_server smtp.example.com',
          'smtp_connect_timeout 45',
          '}',
          'vrrp_script cc_enabled {',
          'script "/usr/local/libexec/cc-enabled.sh"',
          'interval 3',
          'timeout 12',
          'weight 20',
          'fall 4',
          'rise 5',
          '}',
          'vrrp_instance cc_gateway {',
          'state BACKUP',
          'interface bond0.45',
          'virtual_router_id 77',
          'priority 150',
          'version 2',
          'advert_int 2',
          'down_timer_adverts 10',
          'garp_master_delay 1',
          'garp_master_refresh 10',
          'smtp_alert',
          'authentication {',
          'auth_type PASS',
          'auth_pass s3cret-x',
          '}',
          'unicast_src_ip 10.231.45.11',
          'unicast_peer {',
          '10.231.45.12',
          '10.231.45.13',
          '}',
          'virtual_ipaddress {',
          '10.231.45.50/24 dev bond0.45',
          '}',
          'track_script {',
          'cc_enabled',
          '}',
          'notify_master "/usr/local/libexec/cc-gateway-nat" root root',
          '}',
        ])
      end

      it 'gives the check script the endpoint, timeout and paths, shell-escaped' do
        expect(script).to include("client=/opt/euca\\ tools/CCclient_full\n")
        expect(script).to include("endpoint=cc1.cloud.example:18774\n")
        expect(script).to include("timeout_s=9\n")
        expect(script).to include("export AXIS2C_HOME=/opt/axis2c\\ 1.6\n")
        expect(script).to include("export EUCALYPTUS=/opt/eucalyptus/\n")
      end

      it 'installs the check script, CCclient_full and cloud-pk.pem where told, for the check user' do
        is_expected.to contain_file('/usr/local/libexec/cc-enabled.sh')
          .with(owner: 'root', group: 'vrrpgroup', mode: '0750')
        is_expected.to contain_file('/opt/euca tools/CCclient_full').with(
          owner: 'root', group: 'vrrpgroup', mode: '0750',
          source: 'https://files.example.com/euca/CCclient_full',
          checksum: 'md5', checksum_value: 'a1' * 16,
        )
        # eucalyptus_home's trailing slash does not double in the path.
        is_expected.to contain_file('/opt/eucalyptus/var/lib/eucalyptus/keys/cloud-pk.pem').with(
          owner: 'vrrpcheck', group: 'root', mode: '0600', show_diff: false,
        ).with_content(sensitive("-----BEGIN PRIVATE KEY-----\nPKDATA\n-----END PRIVATE KEY-----\n"))
      end

      it 'creates the named user and group' do
        is_expected.to contain_group('vrrpgroup').with(ensure: 'present', system: true)
        is_expected.to contain_user('vrrpcheck').with(ensure: 'present', gid: 'vrrpgroup')
        is_expected.not_to contain_user('keepalived_script')
        is_expected.not_to contain_group('keepalived_script')
      end

      it 'manages the named package and service' do
        is_expected.to contain_package('keepalived-gw').with_ensure('1:2.2.7-1')
        is_expected.to contain_service('keepalived-gw').with(
          ensure: 'stopped', enable: false, restart: nil,
        )
        is_expected.to contain_file('/etc/keepalived/gw.conf').that_notifies('Service[keepalived-gw]')
      end

      it 'validates the config with the named keepalived' do
        is_expected.to contain_file('/etc/keepalived/gw.conf').with(
          owner: 'root', group: 'root', mode: '0600', show_diff: false,
          validate_cmd: '/usr/local/sbin/keepalived-config-test /opt/keepalived/sbin/keepalived %',
        )
        is_expected.not_to contain_file('/etc/keepalived/keepalived.conf')
      end

      it 'keeps the VRRP password and the key out of every non-Sensitive value of the catalogue' do
        catalogue.resources.each do |resource|
          resource.to_hash.each do |name, value|
            next if resource.sensitive_parameters.include?(name)

            expect(value.to_s).not_to include('s3cret-x'), "#{resource}[#{name}] holds the VRRP password"
            expect(value.to_s).not_to include('PKDATA'), "#{resource}[#{name}] holds cloud-pk.pem"
          end
        end
      end
    end

    context 'with defaults (multicast, VRRPv3, no mail)' do
      # Debian 12: common.yaml's values alone (Debian 11's keepalived has data of its own).
      let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }
      let(:conf) { file_content(config) }

      it 'adds /32 to a bare VIP and puts it on priv_dev' do
        expect(conf).to include("    10.231.45.50/32 dev eth1\n")
        expect(conf).to include("  interface eth1\n")
      end

      it 'renders the Hiera defaults' do
        expect(conf).to include("  virtual_router_id 45\n", "  priority 100\n", "  version 3\n",
                                "  advert_int 0.05\n", "  down_timer_adverts 6\n",
                                "  file \"/run/eucalyptus-cc-gateway/cc-enabled\"\n", "  weight 2\n",
                                "  init_file 0\n", "  track_file {\n    cc_enabled\n  }\n",
                                "  script_user keepalived_script keepalived_script\n")
      end

      it 'tracks the watcher\'s file, not the check script' do
        %w[vrrp_script track_script interval fall rise].each do |keyword|
          expect(conf).not_to match(%r{^\s*#{keyword}\b}), "#{keyword} should not be in keepalived.conf"
        end
        expect(conf).not_to include(check)
      end

      it 'has no unicast, authentication or mail settings' do
        %w[unicast_src_ip unicast_peer authentication auth_pass notification_email smtp_server
           smtp_connect_timeout smtp_alert].each do |keyword|
          expect(conf).not_to match(%r{^\s*#{keyword}\b}), "#{keyword} should not be in keepalived.conf"
        end
      end

      it 'gives the check script its defaults: the shipped client, the default keys directory' do
        script = file_content(check)
        expect(script).to include("client=/usr/local/sbin/eucalyptus-cc-state\n", "endpoint=127.0.0.1:8774\n",
                                  "timeout_s=2\n", "keys_dir=/var/lib/eucalyptus/keys\n")
      end
    end

    context 'with check_method => script' do
      let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('check_method' => 'script') }
      let(:conf) { file_content(config) }

      it 'renders the check script\'s Hiera defaults' do
        expect(conf).to include("  advert_int 0.05\n", "  down_timer_adverts 6\n", "  interval 1\n",
                                "  timeout 5\n", "  weight 2\n", "  fall 1\n", "  rise 1\n",
                                %(  script "#{check}"\n), "  track_script {\n    cc_enabled\n  }\n")
        expect(conf).not_to match(%r{^\s*(track_file|init_file)\b})
      end
    end

    describe "keepalived's timeout for the check" do
      [1, 2, 9, 300].each do |check_timeout|
        context "with check_timeout #{check_timeout}" do
          let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('check_method' => 'script', 'check_timeout' => check_timeout) }

          it 'outlasts the check script\'s worst case (the client\'s limit, timeout 1 s behind, SIGKILL 1 s later) by 1 s' do
            script = file_content(check)
            expect(script).to include("timeout_s=#{check_timeout}\n", %(limit_s=$((timeout_s + 1))\n))
            expect(script).to match(%r{timeout -k 1 "\$limit_s" })
            expect(file_content(config)).to include("  timeout #{check_timeout + 3}\n")
          end
        end
      end
    end

    context 'with a VIP that has a prefix' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('vip' => '10.231.45.50/25') }

      it('keeps the prefix') { expect(file_content(config)).to include("10.231.45.50/25 dev eth1\n") }
    end

    context 'with unicast_peers but no unicast_src_ip' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('unicast_peers' => ['10.231.45.12']) }

      it 'lists the peer and leaves the source address to keepalived' do
        expect(file_content(config)).to include("  unicast_peer {\n    10.231.45.12\n  }\n")
        expect(file_content(config)).not_to include('unicast_src_ip')
      end
    end

    context 'with notification_email and an smtp_server but no smtp_alert' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('notification_email' => ['ops@example.com'],
                                             'smtp_server' => '192.0.2.25')
      end

      it 'configures mail but does not alert' do
        conf = file_content(config)
        expect(conf).to include("  notification_email {\n    ops@example.com\n  }\n",
                                "  smtp_server 192.0.2.25\n", "  smtp_connect_timeout 30\n")
        expect(conf).not_to match(%r{^\s*smtp_alert})
        expect(conf).not_to include('notification_email_from')
      end
    end

    context 'with a plain-String auth_pass and VRRPv2' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('auth_pass' => 'Pl41n?x', 'vrrp_version' => 2,
                                             'advert_int' => 1)
      end

      it 'renders it, still only inside the Sensitive content' do
        expect(file_content(config)).to include("    auth_type PASS\n    auth_pass Pl41n?x\n")
        expect(catalogue.resource('File', config).sensitive_parameters).to include(:content)
      end
    end

    context 'with sub-second VRRPv3 adverts at the bounds' do
      [[0.01, 252, 2], [40.95, 1, 253], [0.07, 100, 2]].each do |advert_int, priority, weight|
        context "advert_int #{advert_int}, priority #{priority} + check_weight #{weight}" do
          let(:params) do
            EucalyptusSpec::MINIMAL_PARAMS.merge('advert_int' => advert_int, 'priority' => priority,
                                                 'check_weight' => weight)
          end

          it { expect(file_content(config)).to include("  advert_int #{advert_int}\n", "  priority #{priority}\n") }
        end
      end
    end

    context 'with good interface names' do
      %w[eth0 enp3s0f1 bond0.100 br-lan eth1:1 vlan@eth0 abcdefghijklmno].each do |dev|
        context dev do
          let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('priv_dev' => dev) }

          it { expect(file_content(config)).to include("  interface #{dev}\n", "10.231.45.50/32 dev #{dev}\n") }
        end
      end
    end

    context 'with each kind of ccclient_source' do
      ['puppet:///modules/site/CCclient_full', 'puppet://puppet.example.com/modules/site/CCclient_full',
       '/srv/eucalyptus/CCclient_full', 'https://files.example.com/CCclient_full'].each do |source|
        context source do
          let(:params) do
            EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script', 'ccclient_source' => source)
          end

          it { is_expected.to contain_file(ccclient).with(source: source, checksum: nil, checksum_value: nil) }
        end
      end
    end

    context 'with config_change_action => reload' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('config_change_action' => 'reload') }

      it { is_expected.to contain_service('keepalived').with_restart('/bin/systemctl reload keepalived') }
    end

    context 'with validate_config => false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('validate_config' => false) }

      it { is_expected.to contain_file(config).with_validate_cmd(nil) }
    end

    context 'with manage_package => false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_package' => false) }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.not_to contain_package('keepalived') }
    end

    context 'with manage_service => false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_service' => false) }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.not_to contain_service('keepalived') }
      it { is_expected.to contain_file(config) }
    end

    context 'with manage_script_user => false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_script_user' => false) }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.not_to contain_user('keepalived_script') }
      it { is_expected.not_to contain_group('keepalived_script') }
      it { expect(file_content(config)).to include("script_user keepalived_script keepalived_script\n") }
    end

    context 'with script_user and script_group root' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('script_user' => 'root', 'script_group' => 'root') }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.not_to contain_user('root') }
      it { is_expected.not_to contain_group('root') }
      it { expect(file_content(config)).to include("  script_user root root\n") }
      it { is_expected.to contain_file(check).with(owner: 'root', group: 'root', mode: '0750') }
    end

    context 'with script_user root and its own group' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('script_user' => 'root') }

      it { is_expected.not_to contain_user('root') }
      it { is_expected.to contain_group('keepalived_script') }
    end

    describe 'the warning about a missing CCclient_full, on the agent' do
      let(:title) { 'eucalyptus_cc_gateway: no CCclient_full at /usr/local/sbin/CCclient_full' }
      let(:full) { EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script') }

      context 'when ccclient_source is unset' do
        let(:params) { full }

        it 'tests exactly ccclient_path on the node and logs one warning line, without failing the run' do
          is_expected.to contain_exec(title).with(
            command: %r{\Aecho eucalyptus_cc_gateway:\\ no\\ executable\\ CCclient_full\\ at\\ /usr/local/sbin/CCclient_full\\ and},
            unless: 'test -x /usr/local/sbin/CCclient_full',
            logoutput: true, loglevel: 'warning', provider: 'shell',
          )
        end

        it 'no longer warns at compile time (the catalog cannot know the node\'s files)' do
          warnings = compile_and_capture_logs.select { |l| l.level == :warning }.map { |l| l.message.to_s }
          expect(warnings.grep(%r{CCclient_full})).to be_empty
        end
      end

      context 'when ccclient_source is unset and ccclient_path is elsewhere' do
        let(:params) { full.merge('ccclient_path' => '/opt/euca tools/CCclient_full') }

        it 'tests that path, shell-escaped' do
          is_expected.to contain_exec('eucalyptus_cc_gateway: no CCclient_full at /opt/euca tools/CCclient_full')
            .with_unless('test -x /opt/euca\\ tools/CCclient_full')
        end
      end

      context 'when ccclient_source is set' do
        let(:params) { full.merge('ccclient_source' => 'puppet:///modules/site/CCclient_full') }

        it('has nothing to warn about: Puppet installs it') { is_expected.not_to contain_exec(title) }
      end

      context 'with the shipped client (the default)' do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

        it('has no CCclient_full to miss') { is_expected.not_to contain_exec(title) }
      end
    end
  end
end

# Each private class and define refuses to be declared from outside the module.
%w[install check config service selinux gateway iptables firewall watcher].each do |name|
  describe "eucalyptus_cc_gateway::#{name}", type: :class do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }

    it { is_expected.to compile.and_raise_error(%r{private}) }
  end
end

describe 'eucalyptus_cc_gateway::agent_warning', type: :define do
  let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }
  let(:title) { 'something' }
  let(:params) { { 'message' => 'm', 'unless' => 'true' } }

  it { is_expected.to compile.and_raise_error(%r{private}) }
end
