# @summary An IPv4 network as `nft list` prints it in a rule: the host bits cleared, and a /32 as
#   the bare address (so that the rules script can find the rule it loaded).
#
# @api private
#
# @param network
#   `ADDRESS/PREFIX`, host bits set or not.
#
# @return
#   `NETWORK/PREFIX`, or `ADDRESS` for a /32.
#
# @example
#   eucalyptus_cc_gateway::nft_network('10.231.45.7/24') # => '10.231.45.0/24'
function eucalyptus_cc_gateway::nft_network(
  Stdlib::IP::Address::V4::CIDR $network,
) >> String[1] {
  $parts = $network.split('/')
  $prefix = Integer($parts[1], 10)
  $address = $parts[0].split('\.').reduce(0) |$sum, $octet| { $sum * 256 + Integer($octet, 10) }
  # 2 ** (32 - prefix): the size of the network.
  $size = (32 - $prefix).reduce(1) |$product, $bit| { $product * 2 }
  $base = $address - $address % $size
  $dotted = [16777216, 65536, 256, 1].map |$unit| { String($base / $unit % 256) }.join('.')
  $prefix ? {
    32      => $dotted,
    default => "${dotted}/${prefix}",
  }
}
