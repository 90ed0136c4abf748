# @summary Runs the CC state watcher (`check_method => 'watcher'`): the shipped client in
#   `--watch` mode, a systemd service that writes the file keepalived tracks. With
#   `check_method => 'script'` it stops and removes the watcher an earlier run installed.
#
# The state directory under /run belongs to `script_user` (the watcher replaces the file by a
# rename, which keepalived's own `init_file` may have created as root) and is made again at every
# boot by systemd-tmpfiles, before keepalived starts. The service follows keepalived's
# `service_ensure` and `service_enable`, and restarts when its unit, the client or cloud-pk.pem
# changes (a restart leaves the file at 0 for one poll: the VIP stays put unless the peer CC is
# ENABLED, when it belongs there anyway).
#
# @api private
class eucalyptus_cc_gateway::watcher {
  assert_private()

  $user = $eucalyptus_cc_gateway::script_user
  $group = $eucalyptus_cc_gateway::script_group
  $service = $eucalyptus_cc_gateway::watcher_service_name
  $state_dir = $eucalyptus_cc_gateway::state_dir
  $client = $eucalyptus_cc_gateway::state_client_path
  $interval = $eucalyptus_cc_gateway::watch_interval
  $timeout = $eucalyptus_cc_gateway::watch_timeout
  $unit = "/etc/systemd/system/${service}.service"

  if $eucalyptus_cc_gateway::check_method == 'script' {
    # keepalived no longer reads the watcher's file: nothing should poll the CC for it.
    service { $service:
      ensure => stopped,
      enable => false,
    }
    -> file { [$unit, '/etc/tmpfiles.d/eucalyptus-cc-watcher.conf']:
      ensure => absent,
    }
  } else {
    file { $state_dir:
      ensure => directory,
      owner  => $user,
      group  => $group,
      mode   => '0755',
    }
    # Not /etc/tmpfiles.d/eucalyptus-cc-gateway.conf: that one restores iptables-preload.
    file { '/etc/tmpfiles.d/eucalyptus-cc-watcher.conf':
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => @("TMPFILES"),
        # Managed by Puppet (eucalyptus_cc_gateway): the CC state watcher's directory, at boot.
        d ${state_dir} 0755 ${user} ${group} -
        | TMPFILES
    }

    file { $unit:
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => epp('eucalyptus_cc_gateway/eucalyptus-cc-watcher.service.epp', {
          'keepalived_service' => $eucalyptus_cc_gateway::service_name,
          'user'               => $user,
          'group'              => $group,
          'client_path'        => $client,
          'state_file'         => $eucalyptus_cc_gateway::state_file,
          'interval'           => $interval,
          'timeout'            => $timeout,
          'keys_dir'           => $eucalyptus_cc_gateway::keys_path,
          'cc_endpoint'        => $eucalyptus_cc_gateway::cc_endpoint,
          # A poll lasts at most timeout + interval; 1 s of margin for a loaded host.
          'watchdog_ms'        => (($timeout + $interval + 1) * 1000).round,
      }),
    }

    # The watcher keeps its signed request for a minute: a new key counts at once after a restart.
    $cloud_pk = $eucalyptus_cc_gateway::cloud_pk ? {
      undef   => [],
      default => [File["${eucalyptus_cc_gateway::keys_path}/cloud-pk.pem"]],
    }
    service { $service:
      ensure    => $eucalyptus_cc_gateway::service_ensure,
      enable    => $eucalyptus_cc_gateway::service_enable,
      require   => File[$state_dir, '/etc/tmpfiles.d/eucalyptus-cc-watcher.conf'],
      subscribe => [File[$unit], File[$client]] + $cloud_pk,
    }
  }
}
