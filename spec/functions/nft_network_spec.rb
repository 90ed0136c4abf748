# frozen_string_literal: true

require 'spec_helper'

# nft_network(network): the network as `nft list` prints it in a rule.
describe 'eucalyptus_cc_gateway::nft_network' do
  {
    '10.231.45.0/24' => '10.231.45.0/24',
    '10.231.45.7/24' => '10.231.45.0/24',
    '10.231.45.200/25' => '10.231.45.128/25',
    '172.16.5.4/12' => '172.16.0.0/12',
    '255.255.255.255/31' => '255.255.255.254/31',
    '10.231.45.7/32' => '10.231.45.7',
    '10.231.45.7/0' => '0.0.0.0/0',
  }.each do |network, printed|
    it { is_expected.to run.with_params(network).and_return(printed) }
  end

  it { is_expected.to run.with_params('10.231.45.0').and_raise_error(ArgumentError, %r{network}) }
  it { is_expected.to run.with_params('10.231.45.0/33').and_raise_error(ArgumentError, %r{network}) }
end
