# @summary Ships what the CC check needs: the check script, its client (the module's
#   eucalyptus-cc-state, or the operator's CCclient_full) and cloud-pk.pem.
#
# Everything is readable and runnable by root and the script user's group only; the key by the
# script user only. What the node alone can tell (a client or a key the check cannot use) is
# logged there as a warning on every run.
#
# @api private
class eucalyptus_cc_gateway::check {
  assert_private()

  $user = $eucalyptus_cc_gateway::script_user
  $group = $eucalyptus_cc_gateway::script_group
  $keys = $eucalyptus_cc_gateway::keys_path
  $shipped = $eucalyptus_cc_gateway::ccclient == 'shipped'
  $client = $shipped ? {
    true  => $eucalyptus_cc_gateway::state_client_path,
    false => $eucalyptus_cc_gateway::ccclient_path,
  }

  if $shipped {
    file { $client:
      ensure => file,
      source => 'puppet:///modules/eucalyptus_cc_gateway/eucalyptus-cc-state',
      owner  => 'root',
      group  => $group,
      mode   => '0750',
    }
  } elsif $eucalyptus_cc_gateway::ccclient_source {
    $checksum = $eucalyptus_cc_gateway::ccclient_checksum.then |$c| { $c.split(':') }
    file { $client:
      ensure         => file,
      source         => $eucalyptus_cc_gateway::ccclient_source,
      checksum       => $checksum.then |$c| { $c[0] },
      checksum_value => $checksum.then |$c| { $c[1] },
      owner          => 'root',
      group          => $group,
      mode           => '0750',
    }
  } else {
    # The operator installs CCclient_full; only the node can see whether it is there (a fact
    # would not know ccclient_path).
    eucalyptus_cc_gateway::agent_warning { "no CCclient_full at ${client}":
      message => @("MSG"/L),
        eucalyptus_cc_gateway: no executable CCclient_full at ${client} and ccclient_source is not set: \
        the check fails closed (this CC never gets the VIP) until it is there
        | MSG
      unless  => "test -x ${client.shell_escape}",
    }
  }

  file { $eucalyptus_cc_gateway::check_script_path:
    ensure  => file,
    owner   => 'root',
    group   => $group,
    mode    => '0750',
    content => epp('eucalyptus_cc_gateway/CCclient-enabled-check.sh.epp', {
        'ccclient'        => $eucalyptus_cc_gateway::ccclient,
        'client_path'     => $client,
        'cc_endpoint'     => $eucalyptus_cc_gateway::cc_endpoint,
        'timeout'         => $eucalyptus_cc_gateway::check_timeout,
        'keys_dir'        => $keys,
        'axis2c_home'     => $eucalyptus_cc_gateway::axis2c_home,
        'eucalyptus_home' => $eucalyptus_cc_gateway::eucalyptus_home,
    }),
  }

  $cloud_pk = "${keys}/cloud-pk.pem"
  if $eucalyptus_cc_gateway::cloud_pk {
    # The keys directory belongs to the Eucalyptus install; only the key file is ours.
    file { $cloud_pk:
      ensure    => file,
      owner     => $user,
      group     => 'root',
      mode      => '0600',
      content   => $eucalyptus_cc_gateway::cloud_pk,
      show_diff => false,
    }
  }

  if $shipped {
    # The client reads both files as the script user: the keys directory must let it through.
    $as_user = $user ? {
      'root'  => '',
      default => "runuser -u ${user} -- ",
    }
    $after_key = $eucalyptus_cc_gateway::cloud_pk ? {
      undef   => [],
      default => File[$cloud_pk],
    }
    $key_files = {
      $cloud_pk                => 'set cloud_pk, or make it readable by',
      "${keys}/cloud-cert.pem" => 'Eucalyptus puts it there when the CC is registered; make it readable by',
    }
    $key_files.each |$file, $advice| {
      eucalyptus_cc_gateway::agent_warning { "${user} cannot read ${file}":
        message => @("MSG"/L),
          eucalyptus_cc_gateway: ${user} cannot read ${file}, so the check cannot ask the CC \
          (this CC never gets the VIP): ${advice} ${user}, and its directory searchable by ${user}
          | MSG
        unless  => "${as_user}test -r ${file.shell_escape}",
        require => $after_key,
      }
    }
  }
}
