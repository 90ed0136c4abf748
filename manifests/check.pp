# @summary Ships what the CC check needs: the check script, CCclient_full and cloud-pk.pem.
#
# Everything is readable and runnable by root and the script user's group only.
#
# @api private
class eucalyptus_cc_gateway::check {
  assert_private()

  $user = $eucalyptus_cc_gateway::script_user
  $group = $eucalyptus_cc_gateway::script_group
  $home = $eucalyptus_cc_gateway::eucalyptus_home.regsubst('/+\z', '')

  # Only the node can see whether the operator's own client is there (a fact would not know
  # ccclient_path): it says so on every run, and the run goes on.
  $ccclient = $eucalyptus_cc_gateway::ccclient_path
  unless $eucalyptus_cc_gateway::ccclient_source {
    eucalyptus_cc_gateway::agent_warning { "no CCclient_full at ${ccclient}":
      message => @("MSG"/L),
        eucalyptus_cc_gateway: no executable CCclient_full at ${ccclient} and ccclient_source is not set: \
        the check fails closed (this CC never gets the VIP) until it is there
        | MSG
      unless  => "test -x ${ccclient.shell_escape}",
    }
  }

  if $eucalyptus_cc_gateway::ccclient_source {
    $checksum = $eucalyptus_cc_gateway::ccclient_checksum.then |$c| { $c.split(':') }
    file { $eucalyptus_cc_gateway::ccclient_path:
      ensure         => file,
      source         => $eucalyptus_cc_gateway::ccclient_source,
      checksum       => $checksum.then |$c| { $c[0] },
      checksum_value => $checksum.then |$c| { $c[1] },
      owner          => 'root',
      group          => $group,
      mode           => '0750',
    }
  }

  file { $eucalyptus_cc_gateway::check_script_path:
    ensure  => file,
    owner   => 'root',
    group   => $group,
    mode    => '0750',
    content => epp('eucalyptus_cc_gateway/CCclient-enabled-check.sh.epp', {
        'ccclient_path'   => $eucalyptus_cc_gateway::ccclient_path,
        'cc_endpoint'     => $eucalyptus_cc_gateway::cc_endpoint,
        'timeout'         => $eucalyptus_cc_gateway::check_timeout,
        'axis2c_home'     => $eucalyptus_cc_gateway::axis2c_home,
        'eucalyptus_home' => $eucalyptus_cc_gateway::eucalyptus_home,
    }),
  }

  if $eucalyptus_cc_gateway::cloud_pk {
    # The keys directory belongs to the Eucalyptus install; only the key file is ours.
    file { "${home}/var/lib/eucalyptus/keys/cloud-pk.pem":
      ensure    => file,
      owner     => $user,
      group     => 'root',
      mode      => '0600',
      content   => $eucalyptus_cc_gateway::cloud_pk,
      show_diff => false,
    }
  }
}
