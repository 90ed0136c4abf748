# @summary Installs keepalived, what the shipped client runs on (python3, openssl), nftables for
#   the NAT backstop and the user the check runs as.
#
# @api private
class eucalyptus_cc_gateway::install {
  assert_private()

  if $eucalyptus_cc_gateway::manage_package {
    package { $eucalyptus_cc_gateway::package_name:
      ensure => $eucalyptus_cc_gateway::package_ensure,
    }
    # Common packages other modules may want too: declared only if nobody else did.
    if $eucalyptus_cc_gateway::ccclient == 'shipped' {
      ensure_packages($eucalyptus_cc_gateway::client_packages)
    }
    # nft, for the NAT backstop the rules script loads.
    if $eucalyptus_cc_gateway::manage_nat_backstop {
      ensure_packages(['nftables'])
    }
  }

  $user = $eucalyptus_cc_gateway::script_user
  $group = $eucalyptus_cc_gateway::script_group
  if $eucalyptus_cc_gateway::manage_script_user and $group != 'root' {
    group { $group:
      ensure => present,
      system => true,
    }
  }
  if $eucalyptus_cc_gateway::manage_script_user and $user != 'root' {
    user { $user:
      ensure     => present,
      system     => true,
      gid        => $group,
      home       => '/nonexistent',
      managehome => false,
      shell      => '/usr/sbin/nologin',
      comment    => 'keepalived check scripts',
    }
  }
}
