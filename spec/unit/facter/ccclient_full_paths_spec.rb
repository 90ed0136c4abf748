# frozen_string_literal: true

require 'spec_helper'
require 'facter'

describe 'the ccclient_full_paths fact' do
  let(:fact_file) { File.join(REPO_ROOT, 'lib', 'facter', 'ccclient_full_paths.rb') }
  let(:present) { [] }
  let(:executable) { [] }

  before(:each) do
    Facter.clear
    # Facter 4 evaluates `confine kernel:` through Facter[:kernel].value.
    allow(Facter).to receive(:[]).and_call_original
    allow(Facter).to receive(:[]).with(:kernel).and_return(instance_double(Facter::Util::Fact, value: kernel))
    allow(File).to receive(:file?).and_call_original
    allow(File).to receive(:executable?).and_call_original
    allow(File).to receive(:file?).with(%r{/CCclient_full\z}) { |p| present.include?(p) }
    allow(File).to receive(:executable?).with(%r{/CCclient_full\z}) { |p| executable.include?(p) }
    load fact_file
  end

  after(:each) { Facter.clear }

  context 'on Linux' do
    let(:kernel) { 'Linux' }

    context 'with no client anywhere' do
      it { expect(Facter.fact(:ccclient_full_paths).value).to eq([]) }
    end

    context 'with executable clients in two usual places and a non-executable one in a third' do
      let(:present) { ['/usr/local/sbin/CCclient_full', '/usr/bin/CCclient_full', '/opt/eucalyptus/usr/sbin/CCclient_full'] }
      let(:executable) { ['/usr/local/sbin/CCclient_full', '/opt/eucalyptus/usr/sbin/CCclient_full'] }

      it 'lists the executable ones, in search order' do
        expect(Facter.fact(:ccclient_full_paths).value)
          .to eq(['/usr/local/sbin/CCclient_full', '/opt/eucalyptus/usr/sbin/CCclient_full'])
      end
    end
  end

  context 'elsewhere' do
    let(:kernel) { 'windows' }
    let(:present) { ['/usr/local/sbin/CCclient_full'] }
    let(:executable) { ['/usr/local/sbin/CCclient_full'] }

    it { expect(Facter.fact(:ccclient_full_paths).value).to be_nil }
  end
end
