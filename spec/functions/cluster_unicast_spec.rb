# frozen_string_literal: true

require 'spec_helper'

# cluster_unicast(cluster_addresses, bindings): this CC's source address and its peers.
describe 'eucalyptus_cc_gateway::cluster_unicast' do
  def on(interface, address, network)
    { 'interface' => interface, 'address' => address, 'network' => network }
  end

  let(:cc2) { [on('eth0', '10.231.45.12', '10.231.45.0/24'), on('eth1', '10.231.46.12', '10.231.46.0/24')] }

  it 'takes the bound entry as the source and the others, in order, as peers' do
    is_expected.to run.with_params(['10.231.45.11', '10.231.45.12', '10.231.45.13'], cc2)
                      .and_return('src_ip' => '10.231.45.12', 'peers' => ['10.231.45.11', '10.231.45.13'], 'interfaces' => ['eth0'])
  end

  it { is_expected.to run.with_params(['10.231.45.11'], cc2).and_raise_error(%r{cluster_addresses has 10\.231\.45\.11 only}) }
  it { is_expected.to run.with_params(['10.231.45.21', '10.231.45.22'], cc2).and_raise_error(%r{none of cluster_addresses .*\(this host: eth0 10\.231\.45\.12, eth1 10\.231\.46\.12\)}) }
  it { is_expected.to run.with_params(['10.231.45.12', '10.231.46.12'], cc2).and_raise_error(%r{holds 2 addresses of this host \(10\.231\.45\.12 on eth0, 10\.231\.46\.12 on eth1\)}) }
  it { is_expected.to run.with_params([], cc2).and_raise_error(ArgumentError, %r{cluster_addresses}) }
end
