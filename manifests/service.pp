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
    service { $service:
      ensure  => $eucalyptus_cc_gateway::service_ensure,
      enable  => $eucalyptus_cc_gateway::service_enable,
      restart => $restart,
    }
  }
}
