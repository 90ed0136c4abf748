# @summary One IPv4 address of the host, as the module reads it from the `networking.interfaces`
#   fact: the interface that holds it, the address and its network (`NETWORK/PREFIX`).
type Eucalyptus_cc_gateway::Binding = Struct[{
    interface => String[1],
    address   => Stdlib::IP::Address::V4::Nosubnet,
    network   => Stdlib::IP::Address::V4::CIDR,
}]
