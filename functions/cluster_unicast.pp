# @summary This CC's unicast VRRP from the cluster's address list (the same list on both CCs):
#   its own address is the one entry bound on this host, its peers every other entry.
#
# Fails, naming the host's addresses, when none of the entries or more than one is bound here.
#
# @api private
#
# @param cluster_addresses
#   Every CC's private address; at least 2 distinct ones.
# @param bindings
#   The host's IPv4 addresses (eucalyptus_cc_gateway::ipv4_bindings).
#
# @return
#   `src_ip`: this CC's address; `peers`: the others, in the list's order; `interfaces`: the
#   interface(s) that hold `src_ip`.
function eucalyptus_cc_gateway::cluster_unicast(
  Array[Stdlib::IP::Address::V4::Nosubnet, 1] $cluster_addresses,
  Array[Eucalyptus_cc_gateway::Binding] $bindings,
) >> Struct[{
    src_ip     => Stdlib::IP::Address::V4::Nosubnet,
    peers      => Array[Stdlib::IP::Address::V4::Nosubnet, 1],
    interfaces => Array[String[1], 1],
}] {
  $distinct = $cluster_addresses.unique
  if $distinct.length < 2 {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: cluster_addresses has ${distinct.join(', ')} only: give every CC's \
      private address (at least 2 distinct), the same list on both CCs
      |- MSG
  }

  $own = $bindings.filter |$b| { $b['address'] in $distinct }
  $own_addresses = $own.map |$b| { $b['address'] }.unique
  $host = $bindings.empty ? {
    true  => 'none in its facts',
    false => $bindings.map |$b| { "${b['interface']} ${b['address']}" }.join(', '),
  }
  if $own_addresses.empty {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: none of cluster_addresses (${distinct.join(', ')}) is an address of this \
      host (this host: ${host}): add this CC's private address to cluster_addresses
      |- MSG
  }
  if $own_addresses.length > 1 {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: cluster_addresses holds ${own_addresses.length} addresses of this host \
      (${own.map |$b| { "${b['address']} on ${b['interface']}" }.join(', ')}): exactly one must be, \
      this CC's own; the others are its peers
      |- MSG
  }

  $src_ip = $own_addresses[0]
  $unicast = {
    'src_ip'     => $src_ip,
    'peers'      => $distinct - [$src_ip],
    'interfaces' => $own.map |$b| { $b['interface'] }.unique,
  }
  $unicast
}
