# @summary Runs keepalived; a changed configuration reloads or restarts it (`config_change_action`).
#
# With `auto`, a refresh reloads keepalived (SIGHUP: it keeps its VRRP state, so the VIP stays
# where it is) unless a setting that a reload cannot take changed; then it restarts. The
# settings are written to a restart-keys file beside keepalived.conf; systemd copies that file
# to /run each time keepalived starts (whoever starts it: Puppet, Restart=, an operator, a boot),
# so the copy describes what the running keepalived started with, and the refresh compares the
# two.
#
# @api private
class eucalyptus_cc_gateway::service {
  assert_private()

  if $eucalyptus_cc_gateway::manage_service {
    $service = $eucalyptus_cc_gateway::service_name
    $action = $eucalyptus_cc_gateway::config_change_action
    $dropin_dir = "/etc/systemd/system/${service}.service.d"
    $keys = "${eucalyptus_cc_gateway::config_path.regsubst('/[^/]+\z', '')}/eucalyptus_cc_gateway.restart-keys"
    $running_keys = '/run/eucalyptus_cc_gateway.restart-keys'

    # The keepalived.conf settings a reload cannot take, `keyword => value` (keepalived's
    # keywords; unset ones are left out). The list is measured: see README 'Rolling out from a
    # Puppet server'. The file is world-readable: never a secret here (auth_pass, should it join,
    # only as a digest).
    $restart_keys = {
      'interface'         => $eucalyptus_cc_gateway::effective_priv_dev,
      'virtual_router_id' => $eucalyptus_cc_gateway::virtual_router_id,
      'version'           => $eucalyptus_cc_gateway::vrrp_version,
      'advert_int'        => $eucalyptus_cc_gateway::advert_int,
      'unicast_src_ip'    => $eucalyptus_cc_gateway::effective_unicast_src_ip,
      'unicast_peer'      => $eucalyptus_cc_gateway::effective_unicast_peers.join(' '),
    }

    # Run by Puppet's service provider through /bin/sh. A missing copy (keepalived started
    # before this mechanism, or with the keys file absent) means unknown: restart.
    $unchanged = "/usr/bin/cmp -s ${keys.shell_escape} ${running_keys.shell_escape}"
    $restart = $action ? {
      'reload'  => "/bin/systemctl reload ${service}",
      'restart' => undef,
      'auto'    => "${unchanged} && /bin/systemctl reload ${service.shell_escape} || /bin/systemctl restart ${service.shell_escape}",
    }

    if $eucalyptus_cc_gateway::restart_on_failure or $action == 'auto' {
      file { $dropin_dir:
        ensure => directory,
        owner  => 'root',
        group  => 'root',
        mode   => '0755',
      }
    }
    if $eucalyptus_cc_gateway::restart_on_failure {
      # Debian's and EL's units leave a crashed keepalived down (and its VIP stale on the interface).
      file { "/etc/systemd/system/${service}.service.d/eucalyptus_cc_gateway.conf":
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => "# Managed by Puppet (eucalyptus_cc_gateway).\n[Service]\nRestart=on-failure\nRestartSec=1\n",
        notify  => Service[$service],
      }
    }

    if $action == 'auto' {
      $lines = $restart_keys.filter |$keyword, $value| { $value =~ NotUndef and String($value) != '' }.map |$keyword, $value| {
        "${keyword} ${value}\n"
      }
      # After keepalived.conf (config ~> service): a keepalived that starts in between records
      # the old keys with the new file, and the refresh restarts it; never the other way round.
      file { $keys:
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => "# Managed by Puppet (eucalyptus_cc_gateway): keepalived.conf settings a reload cannot take.\n${lines.join}",
        notify  => Service[$service],
      }
      # The stale copy goes first: when the copy fails, nothing claims to know the running keys.
      # `-`: a missing keys file must not keep keepalived from starting.
      $copy_from = eucalyptus_cc_gateway::systemd_quote($keys)
      $copy_to = eucalyptus_cc_gateway::systemd_quote($running_keys)
      file { "${dropin_dir}/eucalyptus_cc_gateway-restart-keys.conf":
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => @("DROPIN"),
          # Managed by Puppet (eucalyptus_cc_gateway): what keepalived started with (config_change_action auto).
          [Service]
          ExecStartPre=-/bin/rm -f ${copy_to}
          ExecStartPre=-/bin/cp ${copy_from} ${copy_to}
          | DROPIN
        notify  => Service[$service],
      }
    } else {
      # Left behind, the copy could match a later keys file while keepalived runs other keys.
      file { [$keys, $running_keys, "${dropin_dir}/eucalyptus_cc_gateway-restart-keys.conf"]:
        ensure => absent,
      }
    }

    service { $service:
      ensure  => $eucalyptus_cc_gateway::service_ensure,
      enable  => $eucalyptus_cc_gateway::service_enable,
      restart => $restart,
    }
  }
}
