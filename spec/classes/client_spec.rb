# frozen_string_literal: true

require 'spec_helper'

# The check's client, on every OS: the shipped eucalyptus-cc-state (the default) and the
# operator's CCclient_full (ccclient => 'ccclient_full').
describe 'eucalyptus_cc_gateway' do
  let(:check) { EucalyptusSpec::CHECK }
  let(:config) { EucalyptusSpec::CONFIG }
  let(:state_client) { '/usr/local/sbin/eucalyptus-cc-state' }
  let(:ccclient) { EucalyptusSpec::CCCLIENT }
  let(:keys) { '/var/lib/eucalyptus/keys' }
  let(:pem) { "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----\n" }

  def cannot_read(user, file)
    "eucalyptus_cc_gateway: #{user} cannot read #{file}"
  end

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    context "on #{os}" do
      let(:facts) { os_facts }

      context 'with the shipped client (the default)' do
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS }
        let(:script) { file_content(check) }

        it { is_expected.to compile.with_all_deps }

        it 'installs it from the module, runnable by root and the check group only' do
          is_expected.to contain_file(state_client).with(
            ensure: 'file', owner: 'root', group: 'keepalived_script', mode: '0750',
            source: 'puppet:///modules/eucalyptus_cc_gateway/eucalyptus-cc-state',
          ).that_comes_before("File[#{config}]")
        end

        it 'installs python3 and openssl before it' do
          %w[python3 openssl].each do |package|
            is_expected.to contain_package(package).with_ensure('installed').that_comes_before("File[#{state_client}]")
          end
        end

        it 'neither installs nor looks for CCclient_full' do
          is_expected.not_to contain_file(ccclient)
          is_expected.not_to contain_exec("eucalyptus_cc_gateway: no CCclient_full at #{ccclient}")
        end

        it 'runs it with the keys directory and its own timeout, under a timeout 1 s longer, and no Axis2/C environment' do
          expect(script).to include(
            "client=/usr/local/sbin/eucalyptus-cc-state\n", "name=eucalyptus-cc-state\n",
            "keys_dir=/var/lib/eucalyptus/keys\n",
            %(limit_s=$((timeout_s + 1))\n),
            %(output=$(timeout -k 1 "$limit_s" "$client" --keys-dir "$keys_dir" --timeout "$timeout_s" "$endpoint" 2>&1)\n),
          )
          expect(script).not_to include('AXIS2C_HOME', 'EUCALYPTUS=', 'describeServices')
        end

        it 'prints the client\'s reason line when it fails, and no stock-client hint' do
          expect(script).to include(%(reason=$(printf '%s\\n' "$output" | grep -m 1 "^${name}: ")\n))
          expect(script).to include(%(not_enabled "no status returned by the CC at ${endpoint}"\n))
          expect(script).not_to include('3.3+')
        end

        it 'parses the same status line as before' do
          expect(script).to include(%q(sed -n -E 's/^[Ll]ocalState=([A-Za-z]+)([[:space:]].*)?$/\1/p'))
        end

        it 'warns on the node while the check user cannot read cloud-pk.pem or cloud-cert.pem' do
          %w[cloud-pk.pem cloud-cert.pem].each do |file|
            is_expected.to contain_exec(cannot_read('keepalived_script', "#{keys}/#{file}")).with(
              unless: "runuser -u keepalived_script -- test -r #{keys}/#{file}",
              logoutput: true, loglevel: 'warning',
            ).that_requires('User[keepalived_script]')
          end
        end

        context 'with cloud_pk' do
          let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('cloud_pk' => sensitive(pem)) }

          it 'writes it for the check user only, then tests that the user can read it' do
            is_expected.to contain_file("#{keys}/cloud-pk.pem").with(
              owner: 'keepalived_script', group: 'root', mode: '0600', show_diff: false,
            ).with_content(sensitive(pem))
            is_expected.to contain_exec(cannot_read('keepalived_script', "#{keys}/cloud-pk.pem"))
              .that_requires("File[#{keys}/cloud-pk.pem]")
          end

          it 'never puts the key in the check script, argv or any other value' do
            expect(file_content(check)).not_to include('MIIEsecret')
            catalogue.resources.each do |resource|
              resource.to_hash.each do |name, value|
                next if resource.sensitive_parameters.include?(name)

                expect(value.to_s).not_to include('MIIEsecret'), "#{resource}[#{name}] holds cloud-pk.pem"
              end
            end
          end
        end

        context 'with manage_package => false' do
          let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_package' => false) }

          it { is_expected.to compile.with_all_deps }
          it { is_expected.not_to contain_package('python3') }
          it { is_expected.not_to contain_package('openssl') }
        end
      end

      context 'with ccclient => ccclient_full' do
        # CCclient_full is the check script's client: the watcher runs the shipped one.
        let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script') }
        let(:script) { file_content(check) }
        let(:axis2c) { os_facts[:os]['family'] == 'RedHat' ? '/usr/lib64/axis2c' : '/usr/lib/axis2c' }

        it { is_expected.to compile.with_all_deps }

        it 'installs neither the shipped client nor what it runs on' do
          is_expected.not_to contain_file(state_client)
          is_expected.not_to contain_package('python3')
          is_expected.not_to contain_package('openssl')
        end

        it 'runs CCclient_full describeServices with the OS family\'s Axis2/C environment, as before' do
          expect(script).to include(
            "client=/usr/local/sbin/CCclient_full\n", "name=CCclient_full\n",
            "export AXIS2C_HOME=#{axis2c}\n", "export EUCALYPTUS=/\n",
            %(limit_s=$timeout_s\n),
            %(output=$(timeout -k 1 "$limit_s" "$client" "$endpoint" describeServices 2>&1)\n),
          )
          expect(script).to include('a Eucalyptus 3.3+ CC answers the stock CCclient_full with none')
          expect(script).not_to include('--keys-dir')
        end

        it 'warns on the node while nothing is at ccclient_path, and tests no keys' do
          is_expected.to contain_exec("eucalyptus_cc_gateway: no CCclient_full at #{ccclient}")
            .with(unless: "test -x #{ccclient}", loglevel: 'warning', logoutput: true)
          is_expected.not_to contain_exec(cannot_read('keepalived_script', "#{keys}/cloud-pk.pem"))
        end

        context 'and ccclient_source' do
          let(:params) do
            EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script',
                                                 'ccclient_source' => 'puppet:///modules/site/CCclient_full')
          end

          it 'installs it instead of warning' do
            is_expected.to contain_file(ccclient).with(owner: 'root', group: 'keepalived_script', mode: '0750',
                                                       source: 'puppet:///modules/site/CCclient_full')
            is_expected.not_to contain_exec("eucalyptus_cc_gateway: no CCclient_full at #{ccclient}")
          end
        end
      end
    end
  end

  context 'on one OS' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('debian-12-x86_64') }

    context 'with the shipped client and every client parameter set' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge(
          'state_client_path' => '/opt/cc tools/cc-state', 'keys_dir' => '/srv/euca keys/',
          'client_packages' => ['python3.11', 'openssl3'], 'script_user' => 'vrrpcheck',
          'script_group' => 'vrrpgroup', 'cloud_pk' => sensitive(pem), 'check_timeout' => 7
        )
      end
      let(:script) { file_content(check) }

      it 'installs the client and the packages where and as told' do
        is_expected.to contain_file('/opt/cc tools/cc-state').with(owner: 'root', group: 'vrrpgroup', mode: '0750')
        is_expected.to contain_package('python3.11')
        is_expected.to contain_package('openssl3')
        is_expected.not_to contain_package('python3')
      end

      it 'gives the check the paths shell-escaped, the keys directory without its trailing slash' do
        expect(script).to include("client=/opt/cc\\ tools/cc-state\n", "keys_dir=/srv/euca\\ keys\n", "timeout_s=7\n")
      end

      it 'writes cloud-pk.pem into keys_dir and tests both files there as the check user' do
        is_expected.to contain_file('/srv/euca keys/cloud-pk.pem').with(owner: 'vrrpcheck', mode: '0600')
        is_expected.to contain_exec(cannot_read('vrrpcheck', '/srv/euca keys/cloud-cert.pem'))
          .with_unless('runuser -u vrrpcheck -- test -r /srv/euca\\ keys/cloud-cert.pem')
      end
    end

    context 'with the shipped client run as root' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('script_user' => 'root', 'script_group' => 'root') }

      it 'tests the keys without runuser' do
        is_expected.to contain_exec(cannot_read('root', "#{keys}/cloud-cert.pem")).with_unless("test -r #{keys}/cloud-cert.pem")
      end
    end

    context 'with an eucalyptus_home and the shipped client' do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('eucalyptus_home' => '/opt/eucalyptus/') }

      it 'finds the keys under it' do
        expect(file_content(check)).to include("keys_dir=/opt/eucalyptus/var/lib/eucalyptus/keys\n")
      end
    end

    context 'with ccclient_full and keys_dir at the place CCclient_full reads' do
      let(:params) do
        EucalyptusSpec::MINIMAL_PARAMS.merge('ccclient' => 'ccclient_full', 'check_method' => 'script', 'eucalyptus_home' => '/opt/eucalyptus',
                                             'keys_dir' => '/opt/eucalyptus/var/lib/eucalyptus/keys')
      end

      it { is_expected.to compile.with_all_deps }
    end
  end
end
