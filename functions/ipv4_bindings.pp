# @summary The host's IPv4 addresses, one entry per binding of the `networking.interfaces` fact,
#   interfaces in name order (so that messages naming them are stable).
#
# A binding without a usable address, netmask or network is left out: it cannot place anything.
#
# @api private
#
# @param interfaces
#   The `networking.interfaces` fact: interface name => its facts, the IPv4 ones under `bindings`
#   (each with `address`, `netmask` and `network`).
function eucalyptus_cc_gateway::ipv4_bindings(
  Hash[String, Hash] $interfaces,
) >> Array[Eucalyptus_cc_gateway::Binding] {
  $ipv4 = Stdlib::IP::Address::V4::Nosubnet
  $interfaces.keys.sort.map |$name| {
    $interfaces[$name]['bindings'].lest || { [] }.filter |$b| {
      $b =~ Hash and $b['address'] =~ $ipv4 and $b['netmask'] =~ $ipv4 and $b['network'] =~ $ipv4
    }.map |$b| {
      # The prefix length is the netmask's count of 1 bits.
      $prefix = $b['netmask'].split('\.').map |$octet| {
        String(Integer($octet, 10), '%b').split('').filter |$bit| { $bit == '1' }.length
      }.reduce(0) |$sum, $bits| { $sum + $bits }
      $binding = { 'interface' => $name, 'address' => $b['address'], 'network' => "${b['network']}/${prefix}" }
      $binding
    }
  }.flatten
}
