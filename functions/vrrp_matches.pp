# @summary The iptables matches that pick out this pair's VRRP adverts arriving on `priv_dev`:
#   one per unicast peer (`-s PEER`), or the VRRP multicast group (`-d 224.0.0.18`).
#
# VRRP is IP protocol 112, given by number: `-p vrrp` needs an /etc/protocols that knows it.
#
# @api private
#
# @param priv_dev
#   The interface VRRP speaks on.
# @param unicast_peers
#   The peers' addresses; empty for multicast.
function eucalyptus_cc_gateway::vrrp_matches(
  Eucalyptus_cc_gateway::Interface $priv_dev,
  Array[Stdlib::IP::Address::V4::Nosubnet] $unicast_peers,
) >> Array[String[1], 1] {
  $unicast_peers.empty ? {
    true  => ["-i ${priv_dev} -p 112 -d 224.0.0.18"],
    false => $unicast_peers.map |$peer| { "-i ${priv_dev} -p 112 -s ${peer}" },
  }
}
