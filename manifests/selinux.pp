# @summary Lets keepalived's scripts do their work under SELinux: labels each script the module
#   gives keepalived `keepalived_unconfined_script_exec_t`, persistently.
#
# keepalived runs in `keepalived_t`, which may not connect to the CC's port 8774, read the keys
# under /var/lib/eucalyptus or run iptables on every policy release. A script with this label
# runs in `keepalived_unconfined_script_t` instead (the policy's own type for keepalived
# scripts, the one /usr/libexec/keepalived carries), so the check and everything it starts
# (the client, python3, openssl) work, while keepalived itself stays confined. The rule goes
# into the local policy (`semanage fcontext`), so that a relabel keeps it.
#
# @api private
class eucalyptus_cc_gateway::selinux {
  assert_private()

  $type = 'keepalived_unconfined_script_exec_t'
  $scripts = [$eucalyptus_cc_gateway::check_script_path] + ($eucalyptus_cc_gateway::manage_iptables ? {
      true  => [$eucalyptus_cc_gateway::gateway_script_path],
      false => [],
  })

  ensure_packages($eucalyptus_cc_gateway::selinux_packages)
  $semanage = $eucalyptus_cc_gateway::selinux_packages.map |$package| { Package[$package] }

  # The policy labels /usr/libexec/keepalived with the type exactly when it defines the type.
  $policy_has_type = "matchpathcon -n /usr/libexec/keepalived | grep -qF ':${type}:'"
  eucalyptus_cc_gateway::agent_warning { "SELinux policy without ${type}":
    message => @("MSG"/L),
      eucalyptus_cc_gateway: this SELinux policy has no ${type}: keepalived's scripts run confined \
      in keepalived_t and the check cannot reach the CC (this CC never gets the VIP); update \
      selinux-policy, or set manage_selinux => false and allow the check yourself
      | MSG
    unless  => $policy_has_type,
  }

  $scripts.each |$script| {
    # semanage takes a regular expression: a script path holds no quote, only . and + to escape.
    $pattern = $script.regsubst(/([.+])/, '\\\\\1', 'G')
    exec { "eucalyptus_cc_gateway: SELinux file context of ${script}":
      command  => "semanage fcontext -a -t ${type} '${pattern}' || semanage fcontext -m -t ${type} '${pattern}'",
      onlyif   => $policy_has_type,
      unless   => "matchpathcon -n '${script}' | grep -qF ':${type}:'",
      path     => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
      provider => 'shell',
      require  => $semanage,
    }
    # After the script is written (Puppet writes through a temporary file, which takes the
    # directory's label) and after the rule; a failed rule leaves the script itself alone.
    exec { "eucalyptus_cc_gateway: SELinux label of ${script}":
      command => "restorecon '${script}'",
      unless  => "matchpathcon -V '${script}'",
      path    => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
      require => [File[$script], Exec["eucalyptus_cc_gateway: SELinux file context of ${script}"]],
    }
  }
}
