# @summary Lets VRRP in through firewalld, where firewalld runs: a rich rule per VRRP match in
#   the zone that holds `priv_dev`, permanent (kept across reloads and reboots) and runtime (now).
#
# A zone rich rule, not a direct rule: with firewalld's nftables backend (EL8 and later) direct
# rules go into iptables, and a packet ACCEPTed there is still subject to firewalld's own rules
# (its `inet firewalld` table), whose zone rejects VRRP (firewalld.org/2018/07/nftables-backend,
# "Packet accept/drop precedence"; firewalld/firewalld#527). A rich rule lives in that table, out
# of reach of the CC's iptables flush. On the iptables backend (EL7) the CC's flush wipes all of
# firewalld's chains, this rule with them: there iptables-preload (eucalyptus_cc_gateway::iptables)
# is what counts, and this rule counts where the CC does not flush and after `firewall-cmd --reload`.
# Nothing happens on a node without a running firewalld.
#
# @api private
class eucalyptus_cc_gateway::firewall {
  assert_private()

  # Where firewall-cmd is missing or firewalld is stopped, each rule counts as in place. (A check
  # command that is not found (exit 127) would fail the run, so the test is negated.)
  $not_running = '! firewall-cmd --state >/dev/null 2>&1'
  # The zone is looked up on the node, each run: the one priv_dev is bound to, else the default
  # zone, which takes the traffic of unbound interfaces ("no zone" exits non-zero).
  $dev = $eucalyptus_cc_gateway::effective_priv_dev.shell_escape
  $zone = "{ zone=\$(firewall-cmd --get-zone-of-interface=${dev} 2>/dev/null) || zone=\$(firewall-cmd --get-default-zone); }"

  # The same adverts as eucalyptus_cc_gateway::vrrp_matches picks out. Single quotes are safe: the
  # rule text holds only fixed words and validated IPv4 addresses.
  $peers = $eucalyptus_cc_gateway::effective_unicast_peers
  $rules = $peers.empty ? {
    true  => { 'to 224.0.0.18' => 'destination address="224.0.0.18"' },
    false => $peers.reduce({}) |$memo, $peer| { $memo + { "from ${peer}" => "source address=\"${peer}\"" } },
  }

  $options = { 'permanent' => '--permanent ', 'runtime' => '' }
  $rules.each |$what, $address| {
    $rule = "'rule family=\"ipv4\" ${address} protocol value=\"112\" accept'"
    $options.each |$kind, $option| {
      $in_zone = "${zone} && firewall-cmd ${option}--zone=\"\$zone\""
      exec { "eucalyptus_cc_gateway: firewalld ${kind} rich rule: VRRP ${what}":
        command  => "${in_zone} --add-rich-rule=${rule}",
        unless   => "${not_running} || { ${in_zone} --query-rich-rule=${rule}; }",
        path     => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
        provider => 'shell',
      }
    }
  }
}
