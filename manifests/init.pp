# @summary Makes this Eucalyptus Cluster Controller one half of a keepalived pair whose VIP
#   always sits on the ENABLED CC: the Node Controllers' default gateway.
#
# Installs keepalived, ships the CC check script and the client it asks the CC with (the
# module's signed `eucalyptus-cc-state`, or the operator's CCclient_full), writes cloud-pk.pem
# when given, writes a validated keepalived.conf and runs the service. Apply the same class on
# both CCs of a cluster, with the same data: the private interface, the public one and this CC's
# unicast VRRP address are read from the node's facts (`priv_dev`, `pub_dev` and
# `unicast_src_ip`/`unicast_peers` given per CC still win).
#
# The client: by default (`ccclient => 'shipped'`) the check runs the module's own client, which
# signs its DescribeServices with the cloud's key (`cloud_pk`) as a real CC demands, asks for
# `type=cluster` (so Eucalyptus 3.3 and later answer) and sends no service lists (so it does not
# repoint the CC's cloud address). `ccclient => 'ccclient_full'` keeps Eucalyptus' debugging
# client for 3.1/3.2 sites that have one; `ccclient_source`, `ccclient_checksum`, `ccclient_path`
# and `axis2c_home` apply to it alone. The choice is a parameter of its own, not implied by
# `ccclient_source`, so that a CCclient_full installed by other means can be chosen too.
#
# How the VIP finds the ENABLED CC: both nodes run at the same `priority`; the check adds
# `check_weight` while the local CC answers `localState=ENABLED`, so the ENABLED CC outranks the
# other and keepalived moves the VIP to it. When neither CC is ENABLED, the VIP stays where it is.
# The check is, by default (`check_method => 'watcher'`), a watcher service that polls the CC
# every `watch_interval` and feeds keepalived a file; or (`check_method => 'script'`) the check
# script, which keepalived runs every `check_interval`.
#
# @example Minimal, on each CC
#   class { 'eucalyptus_cc_gateway':
#     vip      => '10.231.45.50',
#     priv_dev => 'eth1',
#     cloud_pk => Sensitive(file('site/cloud-pk.pem')),
#   }
#
# @example The same on both CCs of a cluster: interfaces from the facts, unicast VRRP
#   class { 'eucalyptus_cc_gateway':
#     vip               => '10.231.45.50',
#     cluster_addresses => ['10.231.45.11', '10.231.45.12'],
#     manage_gateway    => true,
#     nc_network        => '10.231.45.0/24',
#     cloud_pk          => Sensitive(file('site/cloud-pk.pem')),
#   }
#
# @example Eucalyptus 3.1 or 3.2 with the stock CCclient_full
#   class { 'eucalyptus_cc_gateway':
#     vip             => '10.231.45.50',
#     priv_dev        => 'eth1',
#     ccclient        => 'ccclient_full',
#     ccclient_source => 'puppet:///modules/site/CCclient_full',
#     cloud_pk        => Sensitive(file('site/cloud-pk.pem')),
#   }
#
# @example VRRPv2 with a password, as the 2012 article did (whole-second adverts)
#   class { 'eucalyptus_cc_gateway':
#     vip          => '10.231.45.50',
#     priv_dev     => 'eth1',
#     vrrp_version => 2,
#     advert_int   => 1,
#     auth_pass    => Sensitive('s3cret!x'),
#   }
#
# @param vip
#   The gateway address the NCs route through, IPv4 with an optional prefix (default /32).
# @param priv_dev
#   The CC's private, NC-facing interface (Eucalyptus' VNET_PRIVINTERFACE): the VIP goes there
#   and VRRP speaks there. Unset (the default): the one interface whose IPv4 network (from the
#   `networking` facts) holds the VIP's address; compilation fails, naming the host's interfaces
#   and networks, when none or more than one does. With `cluster_addresses`, this CC's own
#   address must be on that interface too. A value given here is used as it is.
# @param auth_pass
#   VRRP PASS password, 1 to 8 printable characters without blanks, quotes, `#`, `!`, braces or
#   backslashes. Only VRRPv2 has authentication: set `vrrp_version => 2` to use it (the class
#   refuses it with version 3, which keepalived would reject). Longer passwords are refused
#   because keepalived silently truncates them to 8. Not a security boundary: it travels in clear.
# @param server_hostname
#   keepalived's `router_id` (appears in logs and e-mail alerts).
# @param virtual_router_id
#   VRRP router id (1-255), the same on both CCs and unique on the private network.
# @param priority
#   Base VRRP priority (1-254). Use the same value on both CCs: then only the check decides.
# @param advert_int
#   Seconds between VRRP adverts. A backup takes over `down_timer_adverts` (VRRP's 3 when unset)
#   x advert_int after the last advert it heard from a lower-priority master, so this bounds the
#   switch time. Sub-second values need `vrrp_version => 3`. Default 0.05 (with
#   `down_timer_adverts` 6: about 0.33 s); 0.1 where the OS's keepalived has no
#   `down_timer_adverts` (EL7, EL8, Debian 11, Ubuntu 20.04: 3 x 0.1 s).
# @param vrrp_version
#   VRRP protocol version, 2 or 3. Version 3 allows sub-second adverts but has no authentication.
# @param down_timer_adverts
#   How many advert intervals a backup waits without an advert before it declares the master
#   down (keepalived 2.2.3 and later); unset: VRRP's 3. More than 3 makes the gateway survive a
#   lossy private network: at 5 % loss (independent) and 20 adverts a second, 3 lost in a row
#   happen about 8 times an hour, each time the backup takes the VIP too until the master's next
#   advert; 6 in a row, about once in 5 weeks. With 6 and `advert_int` 0.05 a dead holder is
#   still replaced after about 0.33 s (6 x 0.05 s plus VRRP's skew). The same on both CCs.
#   Default 6; unset by the module's data where the OS's keepalived does not know the keyword
#   (EL7, EL8, Debian 11, Ubuntu 20.04), so that it never sees it. To leave it out elsewhere, set
#   it to `~` in Hiera (`undef` in a class declaration means the default, as for every parameter).
# @param check_method
#   How keepalived learns the local CC's state. `watcher` (the default): a long-running
#   `eucalyptus-cc-state --watch` (the systemd service `watcher_service_name`, run as
#   `script_user`) polls the CC every `watch_interval` over one kept-alive connection and writes
#   1 (ENABLED) or 0 to /run/eucalyptus-cc-gateway/cc-enabled, which keepalived tracks
#   (`track_file`, inotify): the weight follows the CC within a poll instead of a whole-second
#   check. It fails closed: the file says 0 when the watcher starts, stops, crashes or hangs
#   (systemd's watchdog). It needs the shipped client (`ccclient => 'shipped'`), systemd and
#   keepalived 2.1 or later; with `manage_service => false` the module installs no watcher and
#   keepalived's weight stays off until one runs. `script`: keepalived runs the check script
#   every `check_interval` (`vrrp_script`); the default where the OS's keepalived has no
#   `track_file` (EL7, Ubuntu 20.04). The check script is installed with either method: run it
#   by hand to see why a CC lacks the VIP.
# @param check_interval
#   Seconds between two runs of the check script (whole seconds, at least 1), with
#   `check_method => 'script'`.
# @param check_weight
#   Priority added while the local CC is ENABLED (1-253; `priority + check_weight` at most 254),
#   with either `check_method`.
# @param check_fall
#   Consecutive failed checks before the weight is removed, with `check_method => 'script'`.
# @param check_rise
#   Consecutive passed checks before the weight is added, with `check_method => 'script'`.
# @param check_timeout
#   Seconds the check waits for the CC's answer before it counts as failed: the check script's
#   (with `check_method => 'script'`, and when run by hand).
# @param watch_interval
#   Seconds between two polls of the CC by the watcher (0.05 to 10), with
#   `check_method => 'watcher'`.
# @param watch_timeout
#   Seconds the watcher waits for the CC's answer before it counts the CC as NOT ENABLED (0.1 to
#   60), with `check_method => 'watcher'`. systemd's watchdog allows a poll `watch_timeout` +
#   `watch_interval` + 1 s: a watcher silent for longer is killed, and the file says 0.
# @param watcher_service_name
#   The watcher's systemd service (unit `/etc/systemd/system/NAME.service`), with
#   `check_method => 'watcher'`. keepalived's drop-in wants it and orders itself after it.
# @param cluster_addresses
#   Every CC's private address, the same list on both CCs (so it can live in the cluster's Hiera
#   data): VRRP then goes unicast, from this CC's own address (the one entry that the
#   `networking` facts show bound on this host) to every other entry. At least 2 distinct
#   addresses; compilation fails when none of them or more than one is bound here (naming the
#   host's addresses), or when `unicast_src_ip` or `unicast_peers` is given too. Empty (the
#   default): `unicast_src_ip` and `unicast_peers` decide.
# @param unicast_src_ip
#   Source address for unicast VRRP; only with `unicast_peers`. Per CC; see `cluster_addresses`
#   for one list that serves both.
# @param unicast_peers
#   The other CC's private address(es). Empty (and no `cluster_addresses`): VRRP uses multicast
#   (224.0.0.18).
# @param notification_email
#   Addresses keepalived mails on state changes (with `smtp_alert`).
# @param notification_email_from
#   Sender of those e-mails.
# @param smtp_server
#   SMTP relay for those e-mails.
# @param smtp_connect_timeout
#   Seconds keepalived waits for the SMTP relay.
# @param smtp_alert
#   Send an e-mail on every VRRP state change (needs `smtp_server` and `notification_email`).
# @param cc_endpoint
#   The local CC's SOAP endpoint, `HOST:PORT`, that the check asks.
# @param ccclient
#   The client the check asks the CC with. `shipped` (the default): the module's
#   `eucalyptus-cc-state` (Python 3 and `openssl`), installed at `state_client_path`; it needs
#   `cloud-pk.pem` and `cloud-cert.pem` in `keys_dir`, readable by `script_user`. `ccclient_full`:
#   Eucalyptus' debugging client at `ccclient_path`, for 3.1/3.2 sites that have one. It asks for
#   `type=cc` (a 3.3+ CC answers with no status) and sends a dummy cloud service that repoints
#   the CC's cloud address on every poll; it also appends to /tmp/fofo.
# @param state_client_path
#   Where the shipped client is installed (root, mode 0750), with `ccclient => 'shipped'`.
# @param client_packages
#   What the shipped client runs on (python3 and openssl), installed with `manage_package` when
#   `ccclient` is `shipped`. Declared with ensure_packages, so another module may declare them
#   too.
# @param keys_dir
#   The directory holding cloud-pk.pem (written here with `cloud_pk`) and the CC's
#   cloud-cert.pem, which the shipped client reads as `script_user`; default
#   `${eucalyptus_home}/var/lib/eucalyptus/keys`. Eucalyptus owns the directory: it must be
#   searchable by `script_user`; the module does not change it, and every Puppet run logs a
#   warning on the node while `script_user` cannot read either file. CCclient_full always reads
#   the default place, so with `ccclient => 'ccclient_full'` only that is accepted.
# @param ccclient_source
#   With `ccclient => 'ccclient_full'`, where CCclient_full comes from: `puppet:///...`, an absolute path on the node or an https URL.
#   No Eucalyptus package installs it (build it from cluster/CCclient.c). Unset: the class
#   expects it already at `ccclient_path`, and every Puppet run logs a warning on the node while
#   nothing executable is there.
# @param ccclient_checksum
#   Optional `ALGORITHM:HEX` checksum the downloaded CCclient_full must match.
# @param ccclient_path
#   Where CCclient_full is installed (root, mode 0750), with `ccclient => 'ccclient_full'`.
# @param check_script_path
#   Where the check script is installed (root, mode 0750).
# @param axis2c_home
#   AXIS2C_HOME for CCclient_full; its `lib` goes on LD_LIBRARY_PATH.
# @param eucalyptus_home
#   Where Eucalyptus is installed (EUCALYPTUS, `/` for packaged installs): the keys and
#   iptables-preload are found under it, and CCclient_full gets it in its environment.
# @param cloud_pk
#   The content of cloud-pk.pem, the cloud's (CLC's) private key, which the client signs its
#   request with; a real CC refuses an unsigned one. Written to `${keys_dir}/cloud-pk.pem`,
#   owned by `script_user`, mode 0600, never shown in diffs or logs. It puts the cloud's private
#   key on every CC: keep it in encrypted Hiera data.
# @param script_user
#   The user keepalived runs the check as (keepalived's script security).
# @param script_group
#   The group keepalived runs the check as; it may read and run the check and its client.
# @param manage_script_user
#   Create `script_user` and `script_group` as system accounts (not when they are root).
# @param manage_package
#   Install keepalived (and, with the shipped client, `client_packages`).
# @param package_name
#   keepalived's package.
# @param package_ensure
#   `installed`, `latest` or a version.
# @param manage_service
#   Manage the keepalived service.
# @param service_name
#   keepalived's service.
# @param service_ensure
#   `running` or `stopped`.
# @param service_enable
#   Start keepalived at boot.
# @param restart_on_failure
#   systemd restarts keepalived 1 s after it crashes or is killed (the stock units leave it
#   down). Either way the module's drop-in has systemd remove the VIP that a killed keepalived
#   leaves on `priv_dev` as soon as the unit is seen dead, so the NCs never have two holders.
# @param config_change_action
#   What a changed keepalived.conf does to keepalived. `reload` (the default):
#   `systemctl reload` (SIGHUP). keepalived keeps its VRRP state and carries the check's result
#   over by script name (`clear_diff_script()`): the reload itself leaves the VIP where it is,
#   for everything the module writes (keepalived 2.2.7: 0 moves in 580 reloads of either CC, and
#   none for a change of the check's timing and weight, `notification_email` or, under VRRPv3,
#   `advert_int`). A change of the instance's identity (`virtual_router_id`, `priv_dev`,
#   multicast <-> unicast, this CC's unicast address, `vrrp_version`, the VIP) is taken by the
#   reload too, but moves or drops the VIP whatever the refresh: keepalived re-creates the
#   instance (`vrrp_exist()`, `clear_diff_vrrp()`: a priority-0 advert, the VIPs removed, the
#   new instance in BACKUP) or the two CCs reject each other's adverts until both have it.
#   Roll such a change out in the order of
#   [Rolling out from a Puppet server](README.md#rolling-out-from-a-puppet-server): measured
#   for `virtual_router_id` and unicast, the VIP is then gone for about 0.36 s with a reload
#   and 1.4 s with a restart. `restart`: always a restart, kept for those who want it: two
#   moves on the holder (the VIP to its peer and back).
# @param config_path
#   keepalived's configuration file.
# @param validate_config
#   Check a new keepalived.conf with `keepalived -t` before it replaces the old one (needs
#   keepalived 2.0 or later).
# @param keepalived_path
#   The keepalived binary, for validation.
# @param manage_gateway
#   Make the VIP a working gateway: turn on IPv4 forwarding (kept across reboots) and forward
#   and masquerade the NCs' traffic leaving by `pub_dev`. The rules go into the CC's
#   iptables-preload (so they survive its flush cycle) and keepalived re-applies them when this
#   CC becomes MASTER. Needs `pub_dev` and `nc_network`. Off by default: it changes the CC's
#   firewall, which Eucalyptus itself manages, and the module then owns iptables-preload.
# @param manage_firewall
#   Let VRRP in through the host firewall on `priv_dev`: from each of `unicast_peers`, or to the
#   multicast group 224.0.0.18 without them. A firewall that drops the peer's adverts makes both
#   CCs MASTER (two VIP holders). The rule goes into the CC's iptables-preload next to the gateway
#   rules (so it survives the CC's flush cycle), the rules script puts it back when this CC
#   becomes MASTER, and where firewalld runs it is also a rich rule in the firewalld zone of
#   `priv_dev` (else the default zone), permanent and runtime: not a direct rule, which the
#   nftables backend (EL8 and later) evaluates apart from the zone, whose own rules still reject
#   VRRP. Off by default, like `manage_gateway`: the module then owns iptables-preload, and a
#   host without a restrictive firewall needs nothing.
# @param pub_dev
#   The CC's public interface (Eucalyptus' VNET_PUBINTERFACE), where the NCs' traffic leaves;
#   used with `manage_gateway`. Unset (the default): the `networking.primary` fact, the
#   interface of the default route (Facter falls back to the first interface with an address
#   when there is no default route: set `pub_dev` on such a host); compilation fails when the
#   fact is missing or names the private interface. A value given here is used as it is.
# @param nc_network
#   The NCs' back-end network, as `ADDRESS/PREFIX`, whose traffic is forwarded and masqueraded.
# @param nat_backstop
#   With `manage_gateway`, masquerade the NCs' traffic from an nftables table of the module's own
#   as well (`table ip eucalyptus_cc_gateway`, a nat chain at priority 110, after iptables' nat
#   at 100, so that the CC's own rules decide first), which the CC never flushes. A CC that is not
#   ENABLED flushes iptables' nat table about once a second and reloads iptables-preload a moment
#   later: a connection an NC opens in between would otherwise leave un-NATed for its whole life.
#   The rules script loads it (when Puppet or keepalived's `notify_master` runs it) and
#   `manage_package` installs `nftables`. Default true; false on EL7, whose kernel (3.10) cannot
#   register an nftables nat chain next to iptables' nat table.
# @param iptables_preload_path
#   The file the CC reloads its rules from, written with `manage_gateway` or `manage_firewall`;
#   default `${eucalyptus_home}/var/run/eucalyptus/net/iptables-preload`. (Eucalyptus 3.2.1 and
#   later read `/etc/eucalyptus/iptables-preload`: set it there.)
# @param gateway_script_path
#   Where the script that puts the module's iptables rules in place (and keepalived runs on
#   becoming MASTER) is installed (root, 0750), with `manage_gateway` or `manage_firewall`.
# @param manage_selinux
#   Where SELinux is enabled (enforcing or permissive), label the scripts keepalived runs (the
#   check, and the rules script) `keepalived_unconfined_script_exec_t`
#   through the local policy (`semanage fcontext`, kept across relabels). In the `keepalived_t`
#   domain the check could neither connect to the CC's port nor read its keys; with the label it
#   runs in `keepalived_unconfined_script_t` and keepalived itself stays confined. Acts on
#   nothing where SELinux is disabled. Default true on the RedHat family, whose policy defines
#   the type; false elsewhere (Debian's and Ubuntu's policies are not Fedora's).
# @param selinux_packages
#   The packages that provide `semanage`, installed when `manage_selinux` acts.
class eucalyptus_cc_gateway (
  Eucalyptus_cc_gateway::Vip $vip,
  Integer[1, 255] $virtual_router_id,
  Integer[1, 254] $priority,
  Eucalyptus_cc_gateway::Advertint $advert_int,
  Integer[2, 3] $vrrp_version,
  Optional[Integer[1, 100]] $down_timer_adverts,
  Enum['watcher', 'script'] $check_method,
  Integer[1, 3600] $check_interval,
  Integer[1, 253] $check_weight,
  Integer[1, 100] $check_fall,
  Integer[1, 100] $check_rise,
  Integer[1, 300] $check_timeout,
  Variant[Integer[1, 10], Float[0.05, 10.0]] $watch_interval,
  Variant[Integer[1, 60], Float[0.1, 60.0]] $watch_timeout,
  String[1] $watcher_service_name,
  Array[Stdlib::IP::Address::V4::Nosubnet] $cluster_addresses,
  Array[Stdlib::IP::Address::V4::Nosubnet] $unicast_peers,
  Array[Stdlib::Email] $notification_email,
  Integer[1, 600] $smtp_connect_timeout,
  Boolean $smtp_alert,
  Eucalyptus_cc_gateway::Endpoint $cc_endpoint,
  Enum['shipped', 'ccclient_full'] $ccclient,
  Stdlib::Unixpath $state_client_path,
  Array[String[1]] $client_packages,
  Stdlib::Unixpath $ccclient_path,
  Eucalyptus_cc_gateway::Scriptpath $check_script_path,
  Stdlib::Unixpath $axis2c_home,
  Stdlib::Unixpath $eucalyptus_home,
  Eucalyptus_cc_gateway::Username $script_user,
  Eucalyptus_cc_gateway::Username $script_group,
  Boolean $manage_script_user,
  Boolean $manage_package,
  String[1] $package_name,
  String[1] $package_ensure,
  Boolean $manage_service,
  String[1] $service_name,
  Enum['running', 'stopped'] $service_ensure,
  Boolean $service_enable,
  Boolean $restart_on_failure,
  Enum['reload', 'restart'] $config_change_action,
  Stdlib::Unixpath $config_path,
  Boolean $validate_config,
  Stdlib::Unixpath $keepalived_path,
  Boolean $manage_gateway,
  Boolean $nat_backstop,
  Boolean $manage_firewall,
  Eucalyptus_cc_gateway::Scriptpath $gateway_script_path,
  Boolean $manage_selinux,
  Array[String[1]] $selinux_packages,
  Optional[Eucalyptus_cc_gateway::Interface] $priv_dev = undef,
  Optional[Eucalyptus_cc_gateway::Authpass] $auth_pass = undef,
  Stdlib::Fqdn $server_hostname = $facts['networking']['fqdn'],
  Optional[Stdlib::IP::Address::V4::Nosubnet] $unicast_src_ip = undef,
  Optional[Stdlib::Email] $notification_email_from = undef,
  Optional[Stdlib::Host] $smtp_server = undef,
  Optional[Stdlib::Unixpath] $keys_dir = undef,
  Optional[Eucalyptus_cc_gateway::Source] $ccclient_source = undef,
  Optional[Eucalyptus_cc_gateway::Checksum] $ccclient_checksum = undef,
  Optional[Sensitive[String[1]]] $cloud_pk = undef,
  Optional[Eucalyptus_cc_gateway::Interface] $pub_dev = undef,
  Optional[Stdlib::IP::Address::V4::CIDR] $nc_network = undef,
  Optional[Stdlib::Unixpath] $iptables_preload_path = undef,
) {
  eucalyptus_cc_gateway::validate_auth_pass($auth_pass, $vrrp_version)
  eucalyptus_cc_gateway::validate_timing($advert_int, $vrrp_version, $priority, $check_weight)

  if $vip =~ /\A0\.0\.0\.0(\/|\z)/ or $vip =~ /\/0\z/ {
    fail("eucalyptus_cc_gateway: vip ${vip} is not a usable gateway address")
  }
  if $cloud_pk =~ NotUndef and $cloud_pk.unwrap.empty {
    fail('eucalyptus_cc_gateway: cloud_pk is empty: give the PEM content of cloud-pk.pem, or leave cloud_pk unset')
  }
  if $unicast_src_ip and $unicast_peers.empty {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: unicast_src_ip is set but unicast_peers is empty: \
      give the peer CC in unicast_peers, or drop unicast_src_ip to use multicast
      | MSG
  }
  if $smtp_alert and (!$smtp_server or $notification_email.empty) {
    fail('eucalyptus_cc_gateway: smtp_alert needs smtp_server and at least one notification_email')
  }
  if $ccclient_checksum and !$ccclient_source {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: ccclient_checksum is set but ccclient_source is not: \
      the checksum verifies the CCclient_full that ccclient_source downloads
      | MSG
  }
  if $ccclient == 'shipped' and ($ccclient_source or $ccclient_checksum) {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: ccclient_source and ccclient_checksum are for CCclient_full: set \
      ccclient => 'ccclient_full' to use it, or drop them to use the shipped client
      | MSG
  }
  if $check_method == 'watcher' and $ccclient == 'ccclient_full' {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: check_method => 'watcher' runs the shipped client (eucalyptus-cc-state \
      --watch), not CCclient_full: set check_method => 'script' to check with CCclient_full
      | MSG
  }
  $default_keys_dir = "${eucalyptus_home.regsubst('/+\z', '')}/var/lib/eucalyptus/keys"
  $keys_path = pick($keys_dir, $default_keys_dir).regsubst('(.)/+\z', '\1')
  if $ccclient == 'ccclient_full' and $keys_path != $default_keys_dir {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: keys_dir ${keys_dir} is for the shipped client: CCclient_full reads \
      ${default_keys_dir} (from eucalyptus_home); drop keys_dir
      | MSG
  }
  if $manage_gateway and !$nc_network {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: manage_gateway needs pub_dev (the public interface, by default the \
      default route's) and nc_network (the NCs' network, ADDRESS/PREFIX): set nc_network
      |- MSG
  }

  # What this CC is, from its facts, so that both CCs of a cluster can share one set of data.
  # Computed once here; every class uses these effective values, never the raw parameters.
  $bindings = eucalyptus_cc_gateway::ipv4_bindings($facts.dig('networking', 'interfaces').lest || { {} })

  if $cluster_addresses.empty {
    $cluster = undef
    $effective_unicast_src_ip = $unicast_src_ip
    $effective_unicast_peers = $unicast_peers
  } else {
    if $unicast_src_ip or !$unicast_peers.empty {
      fail(@(MSG/L))
        eucalyptus_cc_gateway: cluster_addresses and unicast_src_ip/unicast_peers both set unicast \
        VRRP: give cluster_addresses (the same list on both CCs) or unicast_src_ip and \
        unicast_peers (per CC), not both
        |- MSG
    }
    $cluster = eucalyptus_cc_gateway::cluster_unicast($cluster_addresses, $bindings)
    $effective_unicast_src_ip = $cluster['src_ip']
    $effective_unicast_peers = $cluster['peers']
  }

  # The VIP as keepalived and `ip` take it: an address gets /32.
  $vip_cidr = $vip ? {
    /\// => $vip,
    default => "${vip}/32",
  }

  if $priv_dev {
    $effective_priv_dev = $priv_dev
  } else {
    $effective_priv_dev = eucalyptus_cc_gateway::vip_interface($vip, $bindings)
    # VRRP speaks on the VIP's interface: from any other, the adverts would not reach the peer.
    if $cluster and !($effective_priv_dev in $cluster['interfaces']) {
      fail(@("MSG"/L))
        eucalyptus_cc_gateway: this CC's address in cluster_addresses, ${cluster['src_ip']}, is on \
        ${cluster['interfaces'].join(' and ')}, but the VIP ${vip} is on ${effective_priv_dev}'s network: \
        VRRP must speak where the VIP lives; list the CCs' addresses on that network, or set priv_dev
        |- MSG
    }
  }

  $primary = $facts.dig('networking', 'primary')
  if $pub_dev or !$manage_gateway {
    $effective_pub_dev = $pub_dev
  } elsif $primary !~ Eucalyptus_cc_gateway::Interface {
    fail(@(MSG/L))
      eucalyptus_cc_gateway: manage_gateway needs pub_dev (the public interface): it is not set, and \
      this host has no default route to take it from (no usable networking.primary fact); set pub_dev
      |- MSG
  } elsif $primary == $effective_priv_dev {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: manage_gateway needs pub_dev (the public interface): it is not set, and \
      the default route's interface (networking.primary), ${primary}, is the private interface; set pub_dev
      |- MSG
  } else {
    $effective_pub_dev = $primary
  }

  # iptables-preload and the rules script serve both the gateway rules and the VRRP rule.
  $manage_iptables = $manage_gateway or $manage_firewall
  # The NAT backstop (an nftables table the CC never flushes) serves the gateway alone.
  $manage_nat_backstop = $manage_gateway and $nat_backstop

  # The file the watcher writes and keepalived tracks (check_method => 'watcher'): 1 while the
  # local CC is ENABLED, else 0. Under /run: it must never outlive a boot.
  $state_dir = '/run/eucalyptus-cc-gateway'
  $state_file = "${state_dir}/cc-enabled"

  contain eucalyptus_cc_gateway::install
  contain eucalyptus_cc_gateway::check
  contain eucalyptus_cc_gateway::config
  contain eucalyptus_cc_gateway::service
  if $manage_gateway {
    contain eucalyptus_cc_gateway::gateway
    Class['eucalyptus_cc_gateway::install']
    -> Class['eucalyptus_cc_gateway::gateway']
    -> Class['eucalyptus_cc_gateway::config']
  }
  if $manage_iptables {
    contain eucalyptus_cc_gateway::iptables
    Class['eucalyptus_cc_gateway::install']
    -> Class['eucalyptus_cc_gateway::iptables']
    -> Class['eucalyptus_cc_gateway::config']
  }
  if $manage_firewall {
    contain eucalyptus_cc_gateway::firewall
    Class['eucalyptus_cc_gateway::install']
    -> Class['eucalyptus_cc_gateway::firewall']
    -> Class['eucalyptus_cc_gateway::config']
  }

  # Labels the scripts keepalived runs; each relabel comes after the script's file.
  if $manage_selinux and $facts.dig('os', 'selinux', 'enabled') == true {
    contain eucalyptus_cc_gateway::selinux
    Class['eucalyptus_cc_gateway::install']
    -> Class['eucalyptus_cc_gateway::selinux']
    -> Class['eucalyptus_cc_gateway::service']
  }

  # The watcher runs as a service of its own, next to keepalived's: its unit is in place (and
  # the watcher started) before keepalived's service is started or refreshed. With the script,
  # the class removes a watcher an earlier check_method left behind.
  if $manage_service {
    contain eucalyptus_cc_gateway::watcher
    Class['eucalyptus_cc_gateway::check']
    -> Class['eucalyptus_cc_gateway::watcher']
    -> Class['eucalyptus_cc_gateway::service']
  }

  Class['eucalyptus_cc_gateway::install']
  -> Class['eucalyptus_cc_gateway::check']
  -> Class['eucalyptus_cc_gateway::config']
  ~> Class['eucalyptus_cc_gateway::service']
}
