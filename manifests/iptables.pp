# @summary Keeps the module's iptables rules where the CC keeps rules (iptables-preload) and puts
#   them in place now and whenever keepalived makes this CC MASTER: the NCs' forwarding and NAT
#   (`manage_gateway`) and VRRP let in through the host firewall (`manage_firewall`).
#
# A CC that is not ENABLED flushes its filter and nat tables about once a second and reloads
# iptables-preload; an ENABLED one restores its own saved tables on EnableService, which may
# lack the rules. Rules added by hand vanish; these survive both. The module owns the preload.
#
# With `nat_backstop`, the rules script also loads an nftables table of the module's own that
# masquerades the NCs' traffic too: the CC never flushes it, so a connection an NC opens between
# the CC's flush and its reload of iptables-preload is masqueraded all the same.
#
# @api private
class eucalyptus_cc_gateway::iptables {
  assert_private()

  $nc_network = $eucalyptus_cc_gateway::nc_network
  $pub_dev = $eucalyptus_cc_gateway::effective_pub_dev
  $priv_dev = $eucalyptus_cc_gateway::effective_priv_dev
  $home = $eucalyptus_cc_gateway::eucalyptus_home.regsubst('/+\z', '')
  $preload = pick($eucalyptus_cc_gateway::iptables_preload_path, "${home}/var/run/eucalyptus/net/iptables-preload")
  $script = $eucalyptus_cc_gateway::gateway_script_path

  $gateway = $eucalyptus_cc_gateway::manage_gateway
  $vrrp_rules = $eucalyptus_cc_gateway::manage_firewall ? {
    true  => eucalyptus_cc_gateway::vrrp_matches($priv_dev, $eucalyptus_cc_gateway::effective_unicast_peers).map |$m| { ['INPUT', $m] },
    false => [],
  }
  $forward_rules = $gateway ? {
    true  => [
      ['FORWARD', "-i ${priv_dev} -o ${pub_dev} -s ${nc_network}"],
      ['FORWARD', "-i ${pub_dev} -o ${priv_dev} -d ${nc_network} -m conntrack --ctstate RELATED,ESTABLISHED"],
    ],
    false => [],
  }
  $rules = {
    'rules_comment' => 'eucalyptus_cc_gateway',
    'filter_rules'  => $vrrp_rules + $forward_rules,
    'nat_rules'     => $gateway ? { true => [['POSTROUTING', "-s ${nc_network} -o ${pub_dev}"]], false => [] },
  }

  $preload_dir = $preload.regsubst('/[^/]+\z', '')
  $preload_content = epp('eucalyptus_cc_gateway/iptables-preload.epp', $rules)
  exec { 'eucalyptus_cc_gateway: iptables-preload directory':
    command => "mkdir -p '${preload_dir}'",
    creates => $preload_dir,
    path    => ['/usr/bin', '/bin'],
  }
  -> file { $preload:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => $preload_content,
  }

  # A preload under /run (or /var/run) is gone after a reboot, and a CC that is not ENABLED
  # would then flush the rules away until the next Puppet run: keep a copy in /etc, and have
  # systemd-tmpfiles put it back at boot.
  if $preload =~ /\A\/(var\/)?run\// {
    $copy = '/etc/keepalived/eucalyptus-cc-gateway.iptables-preload'
    file { $copy:
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => $preload_content,
    }
    file { '/etc/tmpfiles.d/eucalyptus-cc-gateway.conf':
      ensure  => file,
      owner   => 'root',
      group   => 'root',
      mode    => '0644',
      content => @("TMPFILES"),
        # Managed by Puppet (eucalyptus_cc_gateway): the CC's iptables-preload, back at boot.
        d ${preload_dir} 0755 - - -
        C ${preload} - - - - ${copy}
        | TMPFILES

    }
  }

  # The NAT backstop: the NCs' masquerading again, from an nftables table the CC never flushes.
  $nat_backstop = $eucalyptus_cc_gateway::manage_nat_backstop ? {
    true  => {
      'table'     => 'eucalyptus_cc_gateway',
      'network'   => eucalyptus_cc_gateway::nft_network($nc_network),
      'interface' => $pub_dev,
    },
    false => undef,
  }
  file { $script:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0750',
    content => epp('eucalyptus_cc_gateway/eucalyptus-cc-gateway-nat.epp', $rules + { 'nat_backstop' => $nat_backstop }),
  }
  -> exec { 'eucalyptus_cc_gateway: iptables rules':
    command => $script,
    unless  => "${script} --check",
    path    => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
  }
}
