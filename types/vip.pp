# @summary The gateway's virtual IPv4 address, with an optional prefix length (default /32).
#
# @example
#   '10.231.45.50'
#   '10.231.45.50/24'
type Eucalyptus_cc_gateway::Vip = Variant[
  Stdlib::IP::Address::V4::Nosubnet,
  Stdlib::IP::Address::V4::CIDR,
]
