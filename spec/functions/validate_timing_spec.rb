# frozen_string_literal: true

require 'spec_helper'

# validate_timing(advert_int, vrrp_version, priority, check_weight)
describe 'eucalyptus_cc_gateway::validate_timing' do
  [
    [1, 2, 100, 2], [255, 2, 1, 1], [2.0, 2, 100, 2],
    [0.01, 3, 100, 2], [0.05, 3, 100, 2], [0.1, 3, 100, 2], [0.07, 3, 100, 2], [1, 3, 100, 2], [40, 3, 100, 2], [40.95, 3, 100, 2],
    [1, 3, 252, 2], [1, 3, 1, 253],
  ].each do |args|
    it { is_expected.to run.with_params(*args).and_return(nil) }
  end

  it { is_expected.to run.with_params(0.5, 2, 100, 2).and_raise_error(%r{advert_int 0\.5 is not whole seconds.*vrrp_version => 3}) }
  it { is_expected.to run.with_params(1.5, 2, 100, 2).and_raise_error(%r{advert_int 1\.5 is not whole seconds}) }
  it { is_expected.to run.with_params(41, 3, 100, 2).and_raise_error(%r{advert_int 41 is not a VRRPv3 interval}) }
  it { is_expected.to run.with_params(40.96, 3, 100, 2).and_raise_error(%r{advert_int 40\.96 is not a VRRPv3 interval}) }
  it { is_expected.to run.with_params(0.015, 3, 100, 2).and_raise_error(%r{advert_int 0\.015 is not a VRRPv3 interval}) }
  it { is_expected.to run.with_params(1, 3, 253, 2).and_raise_error(%r{priority 253 \+ check_weight 2 exceeds 254}) }
  it { is_expected.to run.with_params(1, 2, 254, 1).and_raise_error(%r{priority 254 \+ check_weight 1 exceeds 254}) }

  it { is_expected.to run.with_params(0, 3, 100, 2).and_raise_error(ArgumentError, %r{advert_int}) }
  it { is_expected.to run.with_params(0.001, 3, 100, 2).and_raise_error(ArgumentError, %r{advert_int}) }
  it { is_expected.to run.with_params(1, 1, 100, 2).and_raise_error(ArgumentError, %r{vrrp_version}) }
  it { is_expected.to run.with_params(1, 3, 0, 2).and_raise_error(ArgumentError, %r{priority}) }
  it { is_expected.to run.with_params(1, 3, 100, 0).and_raise_error(ArgumentError, %r{check_weight}) }
end
