# @summary Writes keepalived.conf, validated before it replaces the running one.
#
# The CC's state reaches keepalived as a `track_file` the watcher writes (`check_method =>
# 'watcher'`) or as a `vrrp_script` keepalived runs (`check_method => 'script'`).
#
# The file holds the VRRP password: root-only, and its content never shown in diffs or logs.
#
# @api private
class eucalyptus_cc_gateway::config {
  assert_private()

  # The check ends within check_timeout + 2 s at worst: the shipped client gives up after
  # check_timeout, `timeout` stands 1 s behind it and SIGKILLs 1 s after that (CCclient_full,
  # which has no timeout of its own, gets check_timeout and the kill 1 s later). keepalived must
  # not give up first (its kill would race the check's own verdict): 1 s beyond that worst case.
  $script_timeout = $eucalyptus_cc_gateway::check_timeout + 3

  $content = epp('eucalyptus_cc_gateway/keepalived.conf.epp', {
      'router_id'               => $eucalyptus_cc_gateway::server_hostname,
      'script_user'             => $eucalyptus_cc_gateway::script_user,
      'script_group'            => $eucalyptus_cc_gateway::script_group,
      'check_method'            => $eucalyptus_cc_gateway::check_method,
      'state_file'              => $eucalyptus_cc_gateway::state_file,
      'watcher_service'         => $eucalyptus_cc_gateway::watcher_service_name,
      'check_script_path'       => $eucalyptus_cc_gateway::check_script_path,
      'check_interval'          => $eucalyptus_cc_gateway::check_interval,
      'script_timeout'          => $script_timeout,
      'check_weight'            => $eucalyptus_cc_gateway::check_weight,
      'check_fall'              => $eucalyptus_cc_gateway::check_fall,
      'check_rise'              => $eucalyptus_cc_gateway::check_rise,
      'priv_dev'                => $eucalyptus_cc_gateway::effective_priv_dev,
      'virtual_router_id'       => $eucalyptus_cc_gateway::virtual_router_id,
      'priority'                => $eucalyptus_cc_gateway::priority,
      'advert_int'              => $eucalyptus_cc_gateway::advert_int,
      'vrrp_version'            => $eucalyptus_cc_gateway::vrrp_version,
      'down_timer_adverts'      => $eucalyptus_cc_gateway::down_timer_adverts,
      'auth_pass'               => $eucalyptus_cc_gateway::auth_pass.then |$p| { $p.unwrap },
      'vip'                     => $eucalyptus_cc_gateway::vip_cidr,
      'unicast_src_ip'          => $eucalyptus_cc_gateway::effective_unicast_src_ip,
      'unicast_peers'           => $eucalyptus_cc_gateway::effective_unicast_peers,
      'notification_email'      => $eucalyptus_cc_gateway::notification_email,
      'notification_email_from' => $eucalyptus_cc_gateway::notification_email_from,
      'smtp_server'             => $eucalyptus_cc_gateway::smtp_server,
      'smtp_connect_timeout'    => $eucalyptus_cc_gateway::smtp_connect_timeout,
      'smtp_alert'              => $eucalyptus_cc_gateway::smtp_alert,
      'notify_master'           => $eucalyptus_cc_gateway::manage_iptables ? {
        true  => $eucalyptus_cc_gateway::gateway_script_path,
        false => undef,
      },
  })

  # keepalived -t, with a workaround for keepalived 2.2.7 (see the file).
  $config_test = '/usr/local/sbin/keepalived-config-test'
  file { $config_test:
    ensure => file,
    owner  => 'root',
    group  => 'root',
    mode   => '0755',
    source => 'puppet:///modules/eucalyptus_cc_gateway/keepalived-config-test',
  }

  $validate_cmd = $eucalyptus_cc_gateway::validate_config ? {
    true  => "${config_test} ${eucalyptus_cc_gateway::keepalived_path} %",
    false => undef,
  }
  file { $eucalyptus_cc_gateway::config_path:
    ensure       => file,
    owner        => 'root',
    group        => 'root',
    mode         => '0600',
    content      => Sensitive($content),
    show_diff    => false,
    require      => File[$config_test],
    validate_cmd => $validate_cmd,
  }
}
