# @summary Runs keepalived; a changed configuration restarts or reloads it.
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
    if $eucalyptus_cc_gateway::restart_on_failure {
      # Debian's and EL's units leave a crashed keepalived down (and its VIP stale on the interface).
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
        content => "# Managed by Puppet (eucalyptus_cc_gateway).\n[Service]\nRestart=on-failure\nRestartSec=1\n",
        notify  => Service[$service],
      }
    }
    service { $service:
      ensure  => $eucalyptus_cc_gateway::service_ensure,
      enable  => $eucalyptus_cc_gateway::service_enable,
      restart => $restart,
    }
  }
}
