# frozen_string_literal: true

require 'spec_helper'

# vip_interface(vip, bindings): the one interface on the VIP's network.
describe 'eucalyptus_cc_gateway::vip_interface' do
  def on(interface, address, network)
    { 'interface' => interface, 'address' => address, 'network' => network }
  end

  let(:host) { [on('eth0', '10.231.45.11', '10.231.45.0/24'), on('eth1', '10.231.46.11', '10.231.46.0/24')] }

  it { is_expected.to run.with_params('10.231.45.50', host).and_return('eth0') }
  it { is_expected.to run.with_params('10.231.46.1/24', host).and_return('eth1') }
  it { is_expected.to run.with_params('10.231.47.1', host).and_raise_error(%r{no interface of this host is on the network of the VIP 10\.231\.47\.1 \(this host: eth0 10\.231\.45\.0/24, eth1 10\.231\.46\.0/24\)}) }
  it { is_expected.to run.with_params('10.231.47.1', []).and_raise_error(%r{\(this host: no IPv4 address in its facts\)}) }
  it { is_expected.to run.with_params('10.231.45.50', host + [on('eth2', '10.231.45.2', '10.231.45.0/25')]).and_raise_error(%r{\(eth0 and eth2; this host:}) }
  it { is_expected.to run.with_params('10.231.45.50', [on('eth 0', '10.231.45.11', '10.231.45.0/24')]).and_raise_error(%r{eth 0, is not a name keepalived\.conf can take: set priv_dev}) }
end
