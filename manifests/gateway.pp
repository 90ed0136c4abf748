# @summary Makes this CC a router for the NCs: IPv4 forwarding, now and across reboots. (The
#   rules that forward and masquerade their traffic are in eucalyptus_cc_gateway::iptables.)
#
# @api private
class eucalyptus_cc_gateway::gateway {
  assert_private()

  file { '/etc/sysctl.d/60-eucalyptus-cc-gateway.conf':
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (eucalyptus_cc_gateway): this CC routes for the NCs.\nnet.ipv4.ip_forward = 1\n",
  }
  exec { 'eucalyptus_cc_gateway: enable IPv4 forwarding':
    command => 'sysctl -w net.ipv4.ip_forward=1',
    unless  => 'grep -qx 1 /proc/sys/net/ipv4/ip_forward',
    path    => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
  }
}
