# @summary Runs keepalived; a changed configuration reloads or restarts it (`config_change_action`).
#
# `reload` (the default): the refresh is `systemctl reload` (SIGHUP). keepalived keeps its VRRP
# state and the check's result, so the VIP stays where it is for every setting the module
# writes, except a change of the instance's identity, which moves or drops the VIP whatever the
# refresh is. `restart`: Puppet's own restart (the holder gives the VIP away and takes it back).
#
# @api private
class eucalyptus_cc_gateway::service {
  assert_private()

  if $eucalyptus_cc_gateway::manage_service {
    $service = $eucalyptus_cc_gateway::service_name
    $restart = $eucalyptus_cc_gateway::config_change_action ? {
      'reload'  => "/bin/systemctl reload ${service}",
      'restart' => undef,
    }
    $watcher = $eucalyptus_cc_gateway::check_method ? {
      'watcher' => $eucalyptus_cc_gateway::watcher_service_name,
      default   => undef,
    }
    # The unit's drop-in: systemd restarts a crashed keepalived (`restart_on_failure`), a
    # keepalived that dies without stopping (SIGKILL, a crash) does not leave the VIP behind, and
    # the watcher (`check_method => 'watcher'`) starts with keepalived, before it.
    file { "/etc/systemd/system/${service}.service.d":
      ensure => directory,
      owner  => 'root',
      group  => 'root',
      mode   => '0755',
    }
    file { "/etc/systemd/system/${service}.service.d/eucalyptus_cc_gateway.conf":
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => epp('eucalyptus_cc_gateway/keepalived-dropin.conf.epp', {
          'restart_on_failure' => $eucalyptus_cc_gateway::restart_on_failure,
          'vip'                => $eucalyptus_cc_gateway::vip_cidr,
          'priv_dev'           => $eucalyptus_cc_gateway::effective_priv_dev,
          'watcher_service'    => $watcher,
      }),
      notify  => Service[$service],
    }
    service { $service:
      ensure  => $eucalyptus_cc_gateway::service_ensure,
      enable  => $eucalyptus_cc_gateway::service_enable,
      restart => $restart,
    }
  }
}
