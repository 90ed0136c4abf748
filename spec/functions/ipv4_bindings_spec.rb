# frozen_string_literal: true

require 'spec_helper'

# ipv4_bindings(networking.interfaces): the host's IPv4 addresses with their networks.
describe 'eucalyptus_cc_gateway::ipv4_bindings' do
  def binding(address, netmask, network)
    { 'address' => address, 'netmask' => netmask, 'network' => network }
  end

  it 'gives each binding its interface and NETWORK/PREFIX, interfaces in name order' do
    is_expected.to run.with_params(
      'eth1' => { 'bindings' => [binding('10.231.46.11', '255.255.254.0', '10.231.46.0')] },
      'eth0' => { 'bindings' => [binding('10.231.45.11', '255.255.255.0', '10.231.45.0'),
                                 binding('10.231.45.50', '255.255.255.255', '10.231.45.50')] },
    ).and_return([
                   { 'interface' => 'eth0', 'address' => '10.231.45.11', 'network' => '10.231.45.0/24' },
                   { 'interface' => 'eth0', 'address' => '10.231.45.50', 'network' => '10.231.45.50/32' },
                   { 'interface' => 'eth1', 'address' => '10.231.46.11', 'network' => '10.231.46.0/23' },
                 ])
  end

  it 'leaves out interfaces without IPv4 bindings and bindings it cannot use' do
    is_expected.to run.with_params(
      'docker0' => { 'mtu' => 1500 },
      'eth2' => { 'bindings' => [{ 'address' => '10.0.0.1' }, binding('fe80::1', '255.255.255.0', '10.0.0.0')] },
    ).and_return([])
  end
end
