# frozen_string_literal: true

require 'spec_helper'

# SELinux: on the RedHat family, where SELinux is enabled, the scripts keepalived runs are labelled
# keepalived_unconfined_script_exec_t through the local policy; nothing anywhere else.
describe 'eucalyptus_cc_gateway' do
  let(:type) { 'keepalived_unconfined_script_exec_t' }
  let(:check) { EucalyptusSpec::CHECK }
  let(:nat) { '/usr/local/sbin/eucalyptus-cc-gateway-nat' }
  let(:gateway) { { 'manage_gateway' => true, 'pub_dev' => 'eth0', 'nc_network' => '10.231.45.0/24' } }

  def context_exec(path)
    "eucalyptus_cc_gateway: SELinux file context of #{path}"
  end

  def label_exec(path)
    "eucalyptus_cc_gateway: SELinux label of #{path}"
  end

  def with_selinux(facts, enabled:, enforced: enabled)
    selinux = enabled ? facts[:os]['selinux'].merge('enabled' => true, 'enforced' => enforced) : { 'enabled' => false }
    facts.merge(os: facts[:os].merge('selinux' => selinux))
  end

  EucalyptusSpec.supported_os_facts.each do |os, os_facts|
    redhat = os_facts[:os]['family'] == 'RedHat'
    semanage = os_facts[:os]['release']['major'] == '7' ? 'policycoreutils-python' : 'policycoreutils-python-utils'

    context "on #{os}" do
      let(:params) { EucalyptusSpec::MINIMAL_PARAMS }

      if redhat
        context 'with SELinux enforcing (the facts of the release)' do
          let(:facts) { os_facts }

          it { is_expected.to compile.with_all_deps }
          it { is_expected.to contain_class('eucalyptus_cc_gateway::selinux') }
          it { is_expected.to contain_package(semanage).with_ensure('installed').that_comes_before("Exec[#{context_exec(check)}]") }

          it 'adds a local file-context rule for the check where the policy has the type, only when it is missing' do
            is_expected.to contain_exec(context_exec(check)).with(
              command: "semanage fcontext -a -t #{type} '/usr/local/bin/CCclient-enabled-check\\.sh' || " \
                       "semanage fcontext -m -t #{type} '/usr/local/bin/CCclient-enabled-check\\.sh'",
              onlyif: "matchpathcon -n /usr/libexec/keepalived | grep -qF ':#{type}:'",
              unless: "matchpathcon -n '#{check}' | grep -qF ':#{type}:'",
              provider: 'shell',
            )
          end

          it 'relabels the check after it is written and after the rule, only when its label is not the rule\'s' do
            is_expected.to contain_exec(label_exec(check)).with(
              command: "restorecon '#{check}'", unless: "matchpathcon -V '#{check}'",
            ).that_requires("File[#{check}]").that_requires("Exec[#{context_exec(check)}]").that_comes_before('Service[keepalived]')
          end

          it 'does not make the check script wait for the rule (a failed rule must not keep the check old)' do
            is_expected.not_to contain_exec(context_exec(check)).that_comes_before("File[#{check}]")
          end

          it 'warns on the agent, without failing, where the policy lacks the type' do
            is_expected.to contain_exec("eucalyptus_cc_gateway: SELinux policy without #{type}").with(
              command: %r{\Aecho .*has\\ no\\ #{type}},
              unless: "matchpathcon -n /usr/libexec/keepalived | grep -qF ':#{type}:'",
              logoutput: true, loglevel: 'warning',
            )
          end

          it 'leaves keepalived itself confined: no boolean is turned on' do
            expect(catalogue.resources.map(&:type)).not_to include('Selboolean')
          end

          it('labels no rules script without manage_gateway') { is_expected.not_to contain_exec(context_exec(nat)) }

          context 'with manage_gateway' do
            let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge(gateway) }

            it 'labels the notify_master rules script too' do
              is_expected.to contain_exec(context_exec(nat))
              is_expected.to contain_exec(label_exec(nat)).that_requires("File[#{nat}]").that_requires("Exec[#{context_exec(nat)}]")
            end
          end
        end

        context 'with SELinux permissive' do
          let(:facts) { with_selinux(os_facts, enabled: true, enforced: false) }

          it 'labels all the same, so that switching to enforcing breaks nothing' do
            is_expected.to contain_exec(context_exec(check))
            is_expected.to contain_exec(label_exec(check))
          end
        end

        context 'with SELinux disabled' do
          let(:facts) { with_selinux(os_facts, enabled: false) }

          it { is_expected.to compile.with_all_deps }
          it { is_expected.not_to contain_class('eucalyptus_cc_gateway::selinux') }
          it { is_expected.not_to contain_package(semanage) }
        end

        context 'with manage_selinux => false' do
          let(:facts) { os_facts }
          let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('manage_selinux' => false) }

          it { is_expected.not_to contain_class('eucalyptus_cc_gateway::selinux') }
          it { is_expected.not_to contain_exec(context_exec(check)) }
        end
      else
        context 'by default' do
          let(:facts) { os_facts }

          it { is_expected.to compile.with_all_deps }
          it { is_expected.not_to contain_class('eucalyptus_cc_gateway::selinux') }
          it { is_expected.not_to contain_package('policycoreutils-python-utils') }
        end

        context 'even with SELinux enabled (the type is the RedHat policy\'s)' do
          let(:facts) { with_selinux(os_facts, enabled: true) }

          it { is_expected.not_to contain_class('eucalyptus_cc_gateway::selinux') }
        end
      end
    end
  end

  context 'with no selinux_packages (semanage installed by other means)' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('rocky-9-x86_64') }
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('selinux_packages' => []) }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.to contain_exec(context_exec(check)).with_require([]) }
    it { is_expected.not_to contain_package('policycoreutils-python-utils') }
  end

  context 'with a script path holding regular-expression characters' do
    let(:facts) { EucalyptusSpec.supported_os_facts.fetch('rocky-9-x86_64') }
    let(:params) { EucalyptusSpec::MINIMAL_PARAMS.merge('check_script_path' => '/opt/cc+gw/check.v2.sh') }

    it 'escapes them in the rule, not in the path' do
      is_expected.to contain_exec(context_exec('/opt/cc+gw/check.v2.sh')).with(
        command: %r{\Asemanage fcontext -a -t #{type} '/opt/cc\\\+gw/check\\\.v2\\\.sh' },
        unless: "matchpathcon -n '/opt/cc+gw/check.v2.sh' | grep -qF ':#{type}:'",
      )
    end
  end
end
