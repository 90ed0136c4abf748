# frozen_string_literal: true

require 'spec_helper'

# check_method: the watcher (a service that polls the CC and writes the file keepalived tracks,
# the default) or the check script (keepalived's vrrp_script); down_timer_adverts and
# advert_int, which go with it; and the per-OS data that keeps old keepalived away from keywords
# it does not know.
describe 'eucalyptus_cc_gateway' do
  let(:config) { EucalyptusSpec::CONFIG }
  let(:check) { EucalyptusSpec::CHECK }
  let(:unit) { '/etc/systemd/system/eucalyptus-cc-watcher.service' }
  let(:tmpfiles) { '/etc/tmpfiles.d/eucalyptus-cc-watcher.conf' }
  let(:state_dir) { '/run/eucalyptus-cc-gateway' }
  let(:state_client) { '/usr/local/sbin/eucalyptus-cc-state' }
  let(:dropin) { '/etc/systemd/system/keepalived.service.d/eucalyptus_cc_gateway.conf' }

  # The class's parameter as compiled (a `~` in module data must arrive as undef).
  def class_param(name)
    catalogue.resource('Class', 'Eucalyptus_cc_gateway')[name.to_sym]
  end

  # What each OS's keepalived takes: [check_method, down_timer_adverts, advert_int], and its
  # kernel: nat_backstop. EL7: keepalived 1.3.5 (neither track_file nor down_timer_adverts),
  # kernel 3.10 (no nftables nat chain beside iptables'); Ubuntu 20.04: 2.0.19 (no top-level
  # track_file, no down_timer_adverts); EL8 and Debian 11: 2.1.5 (track_file, no
  # down_timer_adverts); the others: 2.2.4 and later (both).
  per_os = {
    'centos-7-x86_64' => ['script', nil, 0.1, false],
    'redhat-7-x86_64' => ['script', nil, 0.1, false],
    'rocky-8-x86_64' => ['watcher', nil, 0.1, true],
    'rocky-9-x86_64' => ['watcher', 6, 0.05, true],
    'debian-11-x86_64' => ['watcher', nil, 0.1, true],
    'debian-12-x86_64' => ['watcher', 6, 0.05, true],
    'ubuntu-20.04-x86_64' => ['script', nil, 0.1, true],
    'ubuntu-22.04-x86_64' => ['watcher', 6, 0.05, true],
  }

  it 'the table above names every supported OS' do
    expect(per_os.keys).to match_array(EucalyptusSpec.supported_os_facts.keys)
  end

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    method, adverts, advert_int, backstop = per_os.fetch(os)

    context "on #{os}, by default" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }
      let(:conf) { file_content(config) }

      it { is_expected.to compile.with_all_deps }

      it "takes check_method #{method}, down_timer_adverts #{adverts.inspect}, advert_int #{advert_int}, nat_backstop #{backstop} from the data" do
        expect(class_param('check_method')).to eq(method)
        expect(class_param('down_timer_adverts')).to eq(adverts)
        expect(class_param('advert_int')).to eq(advert_int)
        expect(class_param('nat_backstop')).to eq(backstop)
      end

      it 'writes down_timer_adverts only where keepalived knows it' do
        if adverts
          expect(conf).to include("  advert_int #{advert_int}\n  # The master is declared down after #{adverts} advert",
                                  "  down_timer_adverts #{adverts}\n")
        else
          expect(conf).to include("  advert_int #{advert_int}\n  # Gratuitous ARP")
          expect(conf).not_to include('down_timer_adverts')
        end
      end

      it 'ships the check script, with either method' do
        is_expected.to contain_file(check).with(owner: 'root', group: 'keepalived_script', mode: '0750')
      end

      if method == 'watcher'
        it 'tracks the watcher\'s file and runs the watcher' do
          expect(conf).to include("track_file cc_enabled {\n", "  track_file {\n    cc_enabled\n  }\n")
          expect(conf).not_to include('vrrp_script', 'track_script')
          is_expected.to contain_class('eucalyptus_cc_gateway::watcher')
          is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'running', enable: true)
        end
      else
        it 'runs the check script, and removes any watcher' do
          expect(conf).to include("vrrp_script cc_enabled {\n", "  track_script {\n    cc_enabled\n  }\n")
          expect(conf).not_to include('track_file', 'init_file')
          is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'stopped', enable: false)
          is_expected.to contain_file(unit).with_ensure('absent').that_requires('Service[eucalyptus-cc-watcher]')
          is_expected.to contain_file(tmpfiles).with_ensure('absent')
          is_expected.to contain_file(dropin).without_content(%r{eucalyptus-cc-watcher|\[Unit\]})
        end
      end
    end

    next unless method == 'script'

    context "on #{os}, with check_method => watcher" do
      let(:facts) { os_facts }
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('check_method' => 'watcher') }

      it 'can still be chosen (for a newer keepalived installed by other means)' do
        is_expected.to compile.with_all_deps
        is_expected.to contain_class('eucalyptus_cc_gateway::watcher')
        expect(file_content(config)).to include("track_file cc_enabled {\n")
      end
    end
  end

  context 'on Debian 12 (the data of common.yaml alone)' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }

    context 'by default' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

      it 'renders the watcher\'s track_file, weighted by check_weight, and down_timer_adverts in the instance' do
        conf = file_content(config)
        expect(conf).to include(<<~TRACK)
          # 1 while the local CC reports localState=ENABLED (the watcher, eucalyptus-cc-watcher), else 0: weight 2 added.
          track_file cc_enabled {
            file "/run/eucalyptus-cc-gateway/cc-enabled"
            weight 2
            init_file 0
          }
        TRACK
        expect(conf).to include(<<-INSTANCE)
  advert_int 0.05
  # The master is declared down after 6 advert intervals without an advert, not VRRP's 3:
  # a few adverts lost in a row on a lossy private network must not move the VIP.
  down_timer_adverts 6
        INSTANCE
        expect(conf).to include("    10.231.45.50/32 dev eth1\n  }\n  track_file {\n    cc_enabled\n  }\n}\n")
      end

      it 'keeps the state directory for the check user, made again at every boot by systemd-tmpfiles' do
        is_expected.to contain_file(state_dir).with(ensure: 'directory', owner: 'keepalived_script',
                                                    group: 'keepalived_script', mode: '0755')
        is_expected.to contain_file(tmpfiles).with(owner: 'root', group: 'root', mode: '0644', content: <<~TMPFILES)
          # Managed by Puppet (eucalyptus_cc_gateway): the CC state watcher's directory, at boot.
          d /run/eucalyptus-cc-gateway 0755 keepalived_script keepalived_script -
        TMPFILES
      end

      it 'leaves the iptables-preload tmpfiles entry alone' do
        is_expected.not_to contain_file('/etc/tmpfiles.d/eucalyptus-cc-gateway.conf')
      end

      it 'writes the unit: notify, watchdog, always restarted, fail closed' do
        is_expected.to contain_file(unit).with(ensure: 'file', owner: 'root', group: 'root', mode: '0644')
        expect(file_content(unit).lines.map(&:strip).reject { |l| l.empty? || l.start_with?('#') }).to eq([
          '[Unit]',
          'Description=Eucalyptus CC state watcher for keepalived (eucalyptus_cc_gateway)',
          'After=network.target',
          'Before=keepalived.service',
          '[Service]',
          'Type=notify',
          'NotifyAccess=main',
          'User=keepalived_script',
          'Group=keepalived_script',
          'ExecStart=/usr/local/sbin/eucalyptus-cc-state --watch /run/eucalyptus-cc-gateway/cc-enabled ' \
          '--interval 0.1 --timeout 1 --keys-dir /var/lib/eucalyptus/keys 127.0.0.1:8774',
          "ExecStopPost=/bin/sh -c 'echo 0 > /run/eucalyptus-cc-gateway/cc-enabled.stop && " \
          'mv -f /run/eucalyptus-cc-gateway/cc-enabled.stop /run/eucalyptus-cc-gateway/cc-enabled || ' \
          "rm -f /run/eucalyptus-cc-gateway/cc-enabled.stop /run/eucalyptus-cc-gateway/cc-enabled'",
          'Restart=always',
          'RestartSec=1',
          'StartLimitInterval=0',
          'WatchdogSec=2100ms',
          'TimeoutStartSec=2100ms',
          'TimeoutStopSec=1',
          '[Install]',
          'WantedBy=multi-user.target',
        ])
      end

      it 'says in the unit why it fails closed' do
        expect(file_content(unit)).to include(
          "# Managed by Puppet (eucalyptus_cc_gateway). Local changes are overwritten.\n",
          'It fails closed: whenever this service',
          '# Stopped, killed or crashed: the CC loses its weight at once',
        )
      end

      it 'runs the watcher as keepalived does, restarted when its unit or the client changes' do
        is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'running', enable: true)
          .that_subscribes_to("File[#{unit}]").that_subscribes_to("File[#{state_client}]")
          .that_requires("File[#{state_dir}]").that_requires("File[#{tmpfiles}]")
      end

      it 'has the unit and the watcher in place before keepalived is started or refreshed' do
        is_expected.to contain_class('eucalyptus_cc_gateway::check').that_comes_before('Class[eucalyptus_cc_gateway::watcher]')
        is_expected.to contain_class('eucalyptus_cc_gateway::watcher').that_comes_before('Class[eucalyptus_cc_gateway::service]')
        is_expected.to contain_file(unit).that_comes_before('Service[keepalived]')
        is_expected.to contain_service('eucalyptus-cc-watcher').that_comes_before('Service[keepalived]')
        is_expected.to contain_file(dropin).that_notifies('Service[keepalived]')
      end

      it 'has keepalived want the watcher and start after it (its drop-in)' do
        is_expected.to contain_file(dropin).with_content(
          %r{\A# Managed by Puppet \(eucalyptus_cc_gateway\)\.\n\[Unit\]\n(#.*\n)*Wants=eucalyptus-cc-watcher\.service\nAfter=eucalyptus-cc-watcher\.service\n\n\[Service\]\n},
        )
      end

      it 'does not refresh the watcher for a key it was not given' do
        is_expected.not_to contain_file('/var/lib/eucalyptus/keys/cloud-pk.pem')
      end
    end

    context 'with check_method => script' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('check_method' => 'script') }

      it 'renders the vrrp_script exactly as before the watcher, and down_timer_adverts still' do
        conf = file_content(config)
        expect(conf).to include(<<~SCRIPT)
          # Passes (exit 0) only while the local CC reports localState=ENABLED.
          vrrp_script cc_enabled {
            script "/usr/local/bin/CCclient-enabled-check.sh"
            interval 1
            timeout 5
            weight 2
            fall 1
            rise 1
          }
        SCRIPT
        expect(conf).to include("  track_script {\n    cc_enabled\n  }\n", "  down_timer_adverts 6\n")
        expect(conf).not_to include('track_file', 'init_file', '/run/eucalyptus-cc-gateway')
      end

      it 'stops and removes the watcher an earlier check_method left, and makes no state directory' do
        is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'stopped', enable: false)
        is_expected.to contain_file(unit).with_ensure('absent')
        is_expected.to contain_file(tmpfiles).with_ensure('absent')
        is_expected.not_to contain_file(state_dir)
      end
    end

    context "with down_timer_adverts: ~ in the site's Hiera data" do
      let(:hiera_config) do
        dir = File.join(FIXTURES, 'hiera-down-timer-unset')
        FileUtils.mkdir_p(File.join(dir, 'data'))
        File.write(File.join(dir, 'data', 'common.yaml'), "---\neucalyptus_cc_gateway::down_timer_adverts: ~\n")
        File.write(File.join(dir, 'hiera.yaml'),
                   "---\nversion: 5\ndefaults:\n  datadir: data\n  data_hash: yaml_data\nhierarchy:\n  - name: site\n    path: common.yaml\n")
        File.join(dir, 'hiera.yaml')
      end
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

      it 'leaves it out' do
        expect(class_param('down_timer_adverts')).to be_nil
        expect(file_content(config)).not_to include('down_timer_adverts')
      end
    end

    context 'with down_timer_adverts => undef in the declaration' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('down_timer_adverts' => :undef) }

      it('takes the data\'s value, as for every parameter (the documented way out is ~ in Hiera)') do
        expect(file_content(config)).to include("  down_timer_adverts 6\n")
      end
    end

    [1, 3, 100].each do |adverts|
      context "with down_timer_adverts #{adverts}" do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('down_timer_adverts' => adverts) }

        it { expect(file_content(config)).to include("  down_timer_adverts #{adverts}\n") }
      end
    end

    # watch_interval, watch_timeout => the argument values and WatchdogSec (timeout + interval + 1 s, in ms).
    [[0.05, 0.1, '0.05', '0.1', 1150], [0.25, 2.5, '0.25', '2.5', 3750], [1, 1, '1', '1', 3000],
     [10, 60, '10', '60', 71_000], [10.0, 60.0, '10.0', '60.0', 71_000], [0.3, 0.7, '0.3', '0.7', 2000]].each do |interval, timeout, i, t, ms|
      context "with watch_interval #{interval} and watch_timeout #{timeout}" do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('watch_interval' => interval, 'watch_timeout' => timeout) }

        it "polls every #{i} s, waits #{t} s for the CC, and allows a poll #{ms} ms" do
          content = file_content(unit)
          expect(content).to include(" --interval #{i} --timeout #{t} ", "\nWatchdogSec=#{ms}ms\n", "\nTimeoutStartSec=#{ms}ms\n")
        end
      end
    end

    context 'with every parameter the watcher uses set' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge(
          'watcher_service_name' => 'cc-watch', 'service_name' => 'keepalived-gw',
          'state_client_path' => '/opt/cc tools/cc-state', 'keys_dir' => '/srv/euca keys/',
          'cc_endpoint' => 'cc1.cloud.example:18774', 'script_user' => 'vrrpcheck', 'script_group' => 'vrrpgroup',
          'watch_interval' => 0.5, 'watch_timeout' => 3, 'check_weight' => 20,
          'cloud_pk' => sensitive("-----BEGIN PRIVATE KEY-----\nPK\n-----END PRIVATE KEY-----\n")
        )
      end
      let(:unit) { '/etc/systemd/system/cc-watch.service' }

      it { is_expected.to compile.with_all_deps }

      it 'names the unit after the service, runs it as the check user, quotes paths with blanks' do
        content = file_content(unit)
        expect(content).to include(
          "\nBefore=keepalived-gw.service\n", "\nUser=vrrpcheck\nGroup=vrrpgroup\n",
          %(\nExecStart="/opt/cc tools/cc-state" --watch /run/eucalyptus-cc-gateway/cc-enabled --interval 0.5 --timeout 3 ) +
          %(--keys-dir "/srv/euca keys" cc1.cloud.example:18774\n),
          "\nWatchdogSec=4500ms\n"
        )
        is_expected.not_to contain_file('/etc/systemd/system/eucalyptus-cc-watcher.service')
      end

      it 'gives the state directory to the check user' do
        is_expected.to contain_file(state_dir).with(owner: 'vrrpcheck', group: 'vrrpgroup')
        is_expected.to contain_file(tmpfiles).with_content(%r{^d /run/eucalyptus-cc-gateway 0755 vrrpcheck vrrpgroup -$})
      end

      it 'restarts the watcher when its unit, the client or cloud-pk.pem changes' do
        is_expected.to contain_service('cc-watch').that_subscribes_to("File[#{unit}]")
          .that_subscribes_to('File[/opt/cc tools/cc-state]').that_subscribes_to('File[/srv/euca keys/cloud-pk.pem]')
          .that_comes_before('Service[keepalived-gw]')
      end

      it 'names the watcher in keepalived.conf and in keepalived\'s drop-in' do
        expect(file_content(config)).to include("(the watcher, cc-watch), else 0: weight 20 added.\n", "  weight 20\n")
        is_expected.to contain_file('/etc/systemd/system/keepalived-gw.service.d/eucalyptus_cc_gateway.conf')
          .with_content(%r{^Wants=cc-watch\.service\nAfter=cc-watch\.service$})
      end
    end

    context 'with keepalived stopped and disabled' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('service_ensure' => 'stopped', 'service_enable' => false) }

      it 'stops and disables the watcher too' do
        is_expected.to contain_service('eucalyptus-cc-watcher').with(ensure: 'stopped', enable: false)
      end
    end

    context 'with manage_service => false' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_service' => false) }

      it 'installs no watcher, and keepalived.conf still tracks its file (the operator runs it)' do
        is_expected.to compile.with_all_deps
        is_expected.not_to contain_class('eucalyptus_cc_gateway::watcher')
        is_expected.not_to contain_service('eucalyptus-cc-watcher')
        is_expected.not_to contain_file(unit)
        expect(file_content(config)).to include("track_file cc_enabled {\n")
      end
    end

    context 'with CCclient_full' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full') }

      it 'fails with one line saying to choose the check script' do
        is_expected.to compile.and_raise_error(
          %r{eucalyptus_cc_gateway: check_method => 'watcher' runs the shipped client \(eucalyptus-cc-state --watch\), not CCclient_full: set check_method => 'script' to check with CCclient_full\n? \(file:},
        )
      end

      context 'and check_method => script' do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script') }

        it { is_expected.to compile.with_all_deps }
      end
    end
  end

  context 'on EL7, where the data sets check_method script' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('redhat-7-x86_64') }

    context 'with CCclient_full' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full') }

      it('needs nothing else') { is_expected.to compile.with_all_deps }
    end

    context 'with down_timer_adverts given' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('down_timer_adverts' => 5) }

      it('uses the given value over the data\'s undef') { expect(file_content(config)).to include("  down_timer_adverts 5\n") }
    end
  end
end
