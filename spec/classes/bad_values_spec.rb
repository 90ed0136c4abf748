# frozen_string_literal: true

require 'spec_helper'

# Every value below must stop compilation with a message that names the parameter at fault, so
# that an operator knows what to fix. Rows with `secret:` also check that the message does not
# echo that secret.
describe 'eucalyptus_cc_gateway' do
  let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-11-x86_64') }

  sensitive = ->(value) { RSpec::Puppet::Sensitive.new(value) }
  v2 = { 'vrrp_version' => 2, 'advert_int' => 1 }

  bad_values = [
    # [what, parameters merged over the minimal ones, message pattern, options]
    # options: secret: a string the message must not echo;
    #          bug: a known module bug (the row asserts the correct behaviour and is pending
    #               until the module is fixed; RSpec then fails it so that `bug:` is removed).
    ['VIP not an address', { 'vip' => 'gateway' }, %r{'vip'}],
    ['VIP with an octet over 255', { 'vip' => '10.231.45.256' }, %r{'vip'}],
    ['VIP prefix over 32', { 'vip' => '10.231.45.50/33' }, %r{'vip'}],
    ['VIP in IPv6', { 'vip' => 'fd00::50' }, %r{'vip'}],
    ['VIP 0.0.0.0', { 'vip' => '0.0.0.0' }, %r{vip 0\.0\.0\.0 is not a usable}],
    ['VIP with prefix /0', { 'vip' => '10.231.45.50/0' }, %r{vip 10\.231\.45\.50/0 is not a usable}],
    # pub_dev defaults to the default route's interface (eth0 in these facts): on priv_dev it cannot be.
    ['gateway without pub_dev, the default route on priv_dev', { 'manage_gateway' => true, 'nc_network' => '10.231.45.0/24', 'priv_dev' => 'eth0' }, %r{manage_gateway needs pub_dev}],
    ['cluster address that is not an address', { 'cluster_addresses' => ['10.231.45.11', 'cc2'] }, %r{'cluster_addresses'}],
    ['cluster address with a prefix', { 'cluster_addresses' => ['10.231.45.11/24', '10.231.45.12/24'] }, %r{'cluster_addresses'}],
    ['cluster_addresses not an Array', { 'cluster_addresses' => '10.231.45.11' }, %r{'cluster_addresses'}],
    ['gateway without nc_network', { 'manage_gateway' => true, 'pub_dev' => 'eth0' }, %r{manage_gateway needs pub_dev}],
    ['nc_network without a prefix', { 'nc_network' => '10.231.45.0' }, %r{'nc_network'}],
    ['pub_dev with a space', { 'pub_dev' => 'eth 0' }, %r{'pub_dev'}],
    ['gateway_script_path with a space', { 'gateway_script_path' => '/usr/local/sbin/nat rules' }, %r{'gateway_script_path'}],
    ['relative iptables_preload_path', { 'iptables_preload_path' => 'iptables-preload' }, %r{'iptables_preload_path'}],
    ['interface name with a space', { 'priv_dev' => 'eth 1' }, %r{'priv_dev'}],
    ['interface name with a slash', { 'priv_dev' => 'eth1/0' }, %r{'priv_dev'}],
    ['interface name with a semicolon', { 'priv_dev' => 'eth1;reboot' }, %r{'priv_dev'}],
    ['interface name with a newline', { 'priv_dev' => "eth1\n" }, %r{'priv_dev'}],
    ['interface name with a brace', { 'priv_dev' => 'eth1}' }, %r{'priv_dev'}],
    ['interface name of 16 characters', { 'priv_dev' => 'abcdefghijklmnop' }, %r{'priv_dev'}],
    ['router id 0', { 'virtual_router_id' => 0 }, %r{'virtual_router_id'}],
    ['router id 256', { 'virtual_router_id' => 256 }, %r{'virtual_router_id'}],
    ['priority 0', { 'priority' => 0 }, %r{'priority'}],
    ['priority 255', { 'priority' => 255 }, %r{'priority'}],
    ['vrrp_version 4', { 'vrrp_version' => 4 }, %r{'vrrp_version'}],
    ['advert_int 0', { 'advert_int' => 0 }, %r{'advert_int'}],
    ['sub-second advert_int with version 2', { 'vrrp_version' => 2, 'advert_int' => 0.5 }, %r{advert_int 0\.5 .*vrrp_version => 3}],
    ['advert_int 41 with version 3', { 'advert_int' => 41 }, %r{advert_int 41 is not a VRRPv3 interval}],
    ['advert_int off the 0.01 s grid with version 3', { 'advert_int' => 0.015 }, %r{advert_int 0\.015 }],
    ['check_interval 0', { 'check_interval' => 0 }, %r{'check_interval'}],
    ['check_interval below a second', { 'check_interval' => 0.5 }, %r{'check_interval'}],
    ['check_weight 0', { 'check_weight' => 0 }, %r{'check_weight'}],
    ['check_weight 254', { 'check_weight' => 254 }, %r{'check_weight'}],
    ['check_weight negative', { 'check_weight' => -2 }, %r{'check_weight'}],
    ['priority + check_weight over 254', { 'priority' => 250, 'check_weight' => 5 }, %r{priority 250 \+ check_weight 5 exceeds 254}],
    ['check_fall 0', { 'check_fall' => 0 }, %r{'check_fall'}],
    ['check_rise 101', { 'check_rise' => 101 }, %r{'check_rise'}],
    ['check_timeout 0', { 'check_timeout' => 0 }, %r{'check_timeout'}],
    ['empty password', v2.merge('auth_pass' => ''), %r{auth_pass is 0 characters}],
    ['empty Sensitive password', v2.merge('auth_pass' => sensitive.call('')), %r{auth_pass is 0 characters}],
    ['password of 9 characters', v2.merge('auth_pass' => 'Zq9vLm2Xw'), %r{auth_pass is 9 characters}, secret: 'Zq9vLm2Xw'],
    ['Sensitive password of 9 characters', v2.merge('auth_pass' => sensitive.call('Hk7pRt3Yb')), %r{auth_pass is 9 characters}, secret: 'Hk7pRt3Yb'],
    ['password with a blank', v2.merge('auth_pass' => 'Jx4 Nw8'), %r{auth_pass may only hold}, secret: 'Jx4 Nw8'],
    ['password with a quote', v2.merge('auth_pass' => sensitive.call('Qd5"Vs')), %r{auth_pass may only hold}, secret: 'Qd5"Vs'],
    ['password with a brace', v2.merge('auth_pass' => 'Wm2{Tz'), %r{auth_pass may only hold}, secret: 'Wm2{Tz'],
    ['password with a non-ASCII character', v2.merge('auth_pass' => 'Fy6é'), %r{auth_pass may only hold}, secret: 'Fy6é'],
    ['password with version 3', { 'auth_pass' => sensitive.call('Gb8Kc1') }, %r{auth_pass needs vrrp_version => 2}, secret: 'Gb8Kc1'],
    ['password of the wrong type', v2.merge('auth_pass' => 12_345_678), %r{'auth_pass'}],
    ['peer that is not an address', { 'unicast_peers' => ['cc2'] }, %r{'unicast_peers'}],
    ['peer with a prefix', { 'unicast_peers' => ['10.231.45.12/24'] }, %r{'unicast_peers'}],
    ['unicast source that is not an address', { 'unicast_src_ip' => 'cc1', 'unicast_peers' => ['10.231.45.12'] }, %r{'unicast_src_ip'}],
    ['unicast_src_ip without peers', { 'unicast_src_ip' => '10.231.45.11' }, %r{unicast_src_ip is set but unicast_peers is empty}],
    ['malformed e-mail', { 'notification_email' => ['ops.example.com'] }, %r{'notification_email'}],
    ['e-mail with a space', { 'notification_email' => ['ops @example.com'] }, %r{'notification_email'}],
    ['malformed sender e-mail', { 'notification_email_from' => 'keepalived@' }, %r{'notification_email_from'}],
    ['SMTP server with a space', { 'smtp_server' => 'smtp example.com' }, %r{'smtp_server'}],
    ['smtp_connect_timeout 0', { 'smtp_connect_timeout' => 0 }, %r{'smtp_connect_timeout'}],
    ['smtp_alert without smtp_server', { 'smtp_alert' => true, 'notification_email' => ['ops@example.com'] }, %r{smtp_alert needs smtp_server}],
    ['smtp_alert without notification_email', { 'smtp_alert' => true, 'smtp_server' => 'smtp.example.com' }, %r{smtp_alert needs .*notification_email}],
    ['smtp_alert not a Boolean', { 'smtp_alert' => 'yes' }, %r{'smtp_alert'}],
    ['endpoint without a port', { 'cc_endpoint' => '127.0.0.1' }, %r{'cc_endpoint'}],
    ['endpoint port over 65535', { 'cc_endpoint' => '127.0.0.1:65536' }, %r{'cc_endpoint'}],
    ['endpoint with a shell metacharacter', { 'cc_endpoint' => '127.0.0.1:8774;id' }, %r{'cc_endpoint'}],
    ['unknown source scheme', { 'ccclient_source' => 'ftp://files.example.com/CCclient_full' }, %r{'ccclient_source'}],
    ['plain http source', { 'ccclient_source' => 'http://files.example.com/CCclient_full' }, %r{'ccclient_source'}],
    ['relative source path', { 'ccclient_source' => 'files/CCclient_full' }, %r{'ccclient_source'}],
    ['ccclient_checksum without ccclient_source', { 'ccclient_checksum' => "sha256:#{'ab' * 32}" }, %r{ccclient_checksum is set but ccclient_source is not}],
    ['checksum with a short digest', { 'ccclient_source' => '/srv/CCclient_full', 'ccclient_checksum' => 'sha256:abc123' }, %r{'ccclient_checksum'}],
    ['checksum without an algorithm', { 'ccclient_source' => '/srv/CCclient_full', 'ccclient_checksum' => 'ab' * 32 }, %r{'ccclient_checksum'}],
    ['checksum with an unknown algorithm', { 'ccclient_source' => '/srv/CCclient_full', 'ccclient_checksum' => "sha1:#{'ab' * 20}" }, %r{'ccclient_checksum'}],
    ['relative ccclient_path', { 'ccclient_path' => 'sbin/CCclient_full' }, %r{'ccclient_path'}],
    ['relative check_script_path', { 'check_script_path' => 'check.sh' }, %r{'check_script_path'}],
    ['check_script_path with a double quote', { 'check_script_path' => '/usr/local/bin/cc"check.sh' }, %r{'check_script_path'}],
    ['relative axis2c_home', { 'axis2c_home' => 'usr/lib/axis2c' }, %r{'axis2c_home'}],
    ['relative eucalyptus_home', { 'eucalyptus_home' => 'opt/eucalyptus' }, %r{'eucalyptus_home'}],
    ['cloud_pk as a plain String', { 'cloud_pk' => "-----BEGIN PRIVATE KEY-----\nNs3cretKeyBody\n" }, %r{'cloud_pk' expects .*Sensitive}, secret: 'Ns3cretKeyBody'],
    ['empty cloud_pk', { 'cloud_pk' => sensitive.call('') }, %r{cloud_pk is empty}],
    ['script_user with capitals and a space', { 'script_user' => 'Check User' }, %r{'script_user'}],
    ['script_group with a colon', { 'script_group' => 'wheel:x' }, %r{'script_group'}],
    ['server_hostname with an underscore', { 'server_hostname' => 'cc_1.example.com' }, %r{'server_hostname'}],
    ['package_name empty', { 'package_name' => '' }, %r{'package_name'}],
    ['service_ensure unknown', { 'service_ensure' => 'paused' }, %r{'service_ensure'}],
    ['config_change_action unknown', { 'config_change_action' => 'kill' }, %r{'config_change_action'}],
    ['relative config_path', { 'config_path' => 'keepalived.conf' }, %r{'config_path'}],
    ['validate_config not a Boolean', { 'validate_config' => 'true' }, %r{'validate_config'}],
    ['relative keepalived_path', { 'keepalived_path' => 'keepalived' }, %r{'keepalived_path'}],
    ['ccclient unknown', { 'ccclient' => 'stock' }, %r{'ccclient'}],
    ['ccclient_source with the shipped client', { 'ccclient_source' => '/srv/CCclient_full' }, %r{ccclient_source and ccclient_checksum are for CCclient_full}],
    ['ccclient_checksum with the shipped client', { 'ccclient_source' => '/srv/CCclient_full', 'ccclient_checksum' => "sha256:#{'ab' * 32}" }, %r{set ccclient => 'ccclient_full'}],
    ['relative state_client_path', { 'state_client_path' => 'eucalyptus-cc-state' }, %r{'state_client_path'}],
    ['client_packages not an Array', { 'client_packages' => 'python3' }, %r{'client_packages'}],
    ['client_packages with an empty name', { 'client_packages' => ['python3', ''] }, %r{'client_packages'}],
    ['relative keys_dir', { 'keys_dir' => 'keys' }, %r{'keys_dir'}],
    ['keys_dir elsewhere with CCclient_full', { 'ccclient' => 'ccclient_full', 'check_method' => 'script', 'keys_dir' => '/srv/keys' }, %r{keys_dir /srv/keys is for the shipped client: CCclient_full reads /var/lib/eucalyptus/keys}],
    ['the watcher with CCclient_full', { 'ccclient' => 'ccclient_full' }, %r{check_method => 'watcher' runs the shipped client .*: set check_method => 'script'}],
    ['check_method unknown', { 'check_method' => 'inotify' }, %r{'check_method'}],
    ['watch_interval 0', { 'watch_interval' => 0 }, %r{'watch_interval'}],
    ['watch_interval below 0.05', { 'watch_interval' => 0.01 }, %r{'watch_interval'}],
    ['watch_interval over 10', { 'watch_interval' => 11 }, %r{'watch_interval'}],
    ['watch_interval as a String', { 'watch_interval' => '0.1' }, %r{'watch_interval'}],
    ['watch_timeout below 0.1', { 'watch_timeout' => 0.05 }, %r{'watch_timeout'}],
    ['watch_timeout over 60', { 'watch_timeout' => 61 }, %r{'watch_timeout'}],
    ['watcher_service_name empty', { 'watcher_service_name' => '' }, %r{'watcher_service_name'}],
    ['down_timer_adverts 0', { 'down_timer_adverts' => 0 }, %r{'down_timer_adverts'}],
    ['down_timer_adverts 101', { 'down_timer_adverts' => 101 }, %r{'down_timer_adverts'}],
    ['down_timer_adverts not whole', { 'down_timer_adverts' => 4.5 }, %r{'down_timer_adverts'}],
    ['nat_backstop not a Boolean', { 'nat_backstop' => 'yes' }, %r{'nat_backstop'}],
    ['manage_selinux not a Boolean', { 'manage_selinux' => 'yes' }, %r{'manage_selinux'}],
    ['selinux_packages not an Array', { 'selinux_packages' => 'policycoreutils-python-utils' }, %r{'selinux_packages'}],
    ['selinux_packages with an empty name', { 'selinux_packages' => [''] }, %r{'selinux_packages'}],
  ]

  it 'has at least 25 rows' do
    expect(bad_values.size).to be >= 25
  end

  bad_values.each do |what, bad, message, options = {}|
    secret = options[:secret]
    context "with #{what} (#{bad.inspect})" do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge(bad) }

      it do
        pending("module bug: #{options[:bug]}") if options[:bug]
        is_expected.to compile.and_raise_error(message)
      end

      next unless secret

      it 'does not echo the secret in the error' do
        expect { catalogue }.to raise_error(Puppet::Error) { |e| expect(e.message).not_to include(secret) }
      end
    end
  end
end
