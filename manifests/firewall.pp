# @summary Lets VRRP in through firewalld, where firewalld runs: a direct rule per VRRP match,
#   permanent (kept across firewalld reloads and reboots) and runtime (now).
#
# The same rule is in iptables-preload (eucalyptus_cc_gateway::iptables), which is what counts
# while the CC flushes its tables. This one counts where the CC does not (its service stopped,
# not yet installed) and after `firewall-cmd --reload`, which rebuilds firewalld's chains.
# Nothing happens on a node without a running firewalld.
#
# @api private
class eucalyptus_cc_gateway::firewall {
  assert_private()

  # Where firewall-cmd is missing or firewalld is stopped, each rule counts as in place. (A check
  # command that is not found (exit 127) would fail the run, so the test is negated.)
  $not_running = '! firewall-cmd --state >/dev/null 2>&1'
  $matches = eucalyptus_cc_gateway::vrrp_matches($eucalyptus_cc_gateway::priv_dev, $eucalyptus_cc_gateway::unicast_peers)

  $options = { 'permanent' => '--permanent ', 'runtime' => '' }
  $matches.each |$match| {
    $rule = "ipv4 filter INPUT 0 ${match} -m comment --comment eucalyptus_cc_gateway -j ACCEPT"
    $options.each |$kind, $option| {
      exec { "eucalyptus_cc_gateway: firewalld ${kind} rule ${match}":
        command  => "firewall-cmd ${option}--direct --add-rule ${rule}",
        unless   => "${not_running} || firewall-cmd ${option}--direct --query-rule ${rule}",
        path     => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
        provider => 'shell',
      }
    }
  }
}
