# frozen_string_literal: true

require 'spec_helper'

# vrrp_matches(priv_dev, unicast_peers): what picks out the peer's VRRP adverts.
describe 'eucalyptus_cc_gateway::vrrp_matches' do
  it { is_expected.to run.with_params('eth1', []).and_return(['-i eth1 -p 112 -d 224.0.0.18']) }
  it { is_expected.to run.with_params('bond0.45', ['10.231.45.12']).and_return(['-i bond0.45 -p 112 -s 10.231.45.12']) }

  it 'gives one match per peer, in order' do
    is_expected.to run.with_params('eth1', ['10.0.0.2', '10.0.0.1'])
                      .and_return(['-i eth1 -p 112 -s 10.0.0.2', '-i eth1 -p 112 -s 10.0.0.1'])
  end

  it { is_expected.to run.with_params('eth 1', []).and_raise_error(ArgumentError, %r{priv_dev}) }
  it { is_expected.to run.with_params('eth1', ['10.0.0.2/24']).and_raise_error(ArgumentError, %r{unicast_peers}) }
end
