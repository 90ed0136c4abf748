# @summary The private interface when `priv_dev` is not given: the one interface with an IPv4
#   address on the VIP's network. Fails, naming the host's interfaces and their networks, when
#   no interface or more than one is there.
#
# @api private
#
# @param vip
#   The VIP, with or without a prefix (only its address counts).
# @param bindings
#   The host's IPv4 addresses (eucalyptus_cc_gateway::ipv4_bindings).
function eucalyptus_cc_gateway::vip_interface(
  Eucalyptus_cc_gateway::Vip $vip,
  Array[Eucalyptus_cc_gateway::Binding] $bindings,
) >> Eucalyptus_cc_gateway::Interface {
  $address = $vip.split('/')[0]
  $on_network = $bindings.filter |$b| { stdlib::ip_in_range($address, $b['network']) }
  $interfaces = $on_network.map |$b| { $b['interface'] }.unique
  $networks = $bindings.map |$b| { "${b['interface']} ${b['network']}" }.unique
  $host = $networks.empty ? {
    true  => 'no IPv4 address in its facts',
    false => $networks.join(', '),
  }

  if $interfaces.empty {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: priv_dev is not set and no interface of this host is on the network of \
      the VIP ${address} (this host: ${host}): set priv_dev, or check the VIP
      |- MSG
  }
  if $interfaces.length > 1 {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: priv_dev is not set and more than one interface of this host is on the \
      network of the VIP ${address} (${interfaces.join(' and ')}; this host: ${host}): set priv_dev
      |- MSG
  }
  assert_type(Eucalyptus_cc_gateway::Interface, $interfaces[0]) |$expected, $actual| {
    fail("eucalyptus_cc_gateway: the VIP's interface, ${interfaces[0]}, is not a name keepalived.conf can take: set priv_dev")
  }
}
