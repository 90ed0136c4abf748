# @summary Makes the VIP a working gateway: IPv4 forwarding, and NAT of the NCs' traffic leaving
#   by the public interface, kept where the CC keeps rules (iptables-preload) and re-applied
#   by keepalived when this CC becomes MASTER.
#
# A CC that is not ENABLED flushes its filter and nat tables about once a second and reloads
# iptables-preload; an ENABLED one restores its own saved tables. Rules added by hand vanish;
# these survive both.
#
# @api private
class eucalyptus_cc_gateway::gateway {
  assert_private()

  $nc_network = $eucalyptus_cc_gateway::nc_network
  $pub_dev = $eucalyptus_cc_gateway::pub_dev
  $priv_dev = $eucalyptus_cc_gateway::priv_dev
  $home = $eucalyptus_cc_gateway::eucalyptus_home.regsubst('/+\z', '')
  $preload = pick($eucalyptus_cc_gateway::iptables_preload_path, "${home}/var/run/eucalyptus/net/iptables-preload")

  $rules = {
    'rules_comment' => 'eucalyptus_cc_gateway',
    'filter_rules'  => [
      ['FORWARD', "-i ${priv_dev} -o ${pub_dev} -s ${nc_network}"],
      ['FORWARD', "-i ${pub_dev} -o ${priv_dev} -d ${nc_network} -m conntrack --ctstate RELATED,ESTABLISHED"],
    ],
    'nat_rules'     => [['POSTROUTING', "-s ${nc_network} -o ${pub_dev}"]],
  }

  file { '/etc/sysctl.d/60-eucalyptus-cc-gateway.conf':
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => "# Managed by Puppet (eucalyptus_cc_gateway): this CC routes for the NCs.\nnet.ipv4.ip_forward = 1\n",
  }
  exec { 'eucalyptus_cc_gateway: enable IPv4 forwarding':
    command => 'sysctl -w net.ipv4.ip_forward=1',
    unless  => 'grep -qx 1 /proc/sys/net/ipv4/ip_forward',
    path    => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
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

  file { $eucalyptus_cc_gateway::gateway_script_path:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0750',
    content => epp('eucalyptus_cc_gateway/eucalyptus-cc-gateway-nat.epp', $rules),
  }
  -> exec { 'eucalyptus_cc_gateway: NC gateway rules':
    command => $eucalyptus_cc_gateway::gateway_script_path,
    unless  => "${eucalyptus_cc_gateway::gateway_script_path} --check",
    path    => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
  }
}
