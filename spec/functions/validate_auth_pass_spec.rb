# frozen_string_literal: true

require 'spec_helper'

describe 'eucalyptus_cc_gateway::validate_auth_pass' do
  it { is_expected.to run.with_params(nil, 2).and_return(nil) }
  it { is_expected.to run.with_params(nil, 3).and_return(nil) }

  ['a', 'Ab3-x_.,', '~@$%^&*('].each do |good|
    it { is_expected.to run.with_params(good, 2).and_return(nil) }
    it { is_expected.to run.with_params(sensitive(good), 2).and_return(nil) }
  end

  it { is_expected.to run.with_params('s3cret', 3).and_raise_error(%r{auth_pass needs vrrp_version => 2}) }
  it { is_expected.to run.with_params(sensitive('s3cret'), 3).and_raise_error(%r{auth_pass needs vrrp_version => 2}) }
  it { is_expected.to run.with_params('', 2).and_raise_error(%r{auth_pass is 0 characters: give 1 to 8}) }
  it { is_expected.to run.with_params(sensitive('Uv8Wx2Yz9'), 2).and_raise_error(%r{auth_pass is 9 characters: give 1 to 8}) }

  [' ', "\t", '"', "'", '#', '!', '{', '}', '\\', "\u00e9", "\n"].each do |bad|
    it "refuses #{bad.inspect} without echoing the password" do
      password = "Qz#{bad}7"
      is_expected.to run.with_params(sensitive(password), 2).and_raise_error(Puppet::Error) { |e|
        expect(e.message).to match(%r{auth_pass may only hold})
        expect(e.message).not_to include(password)
      }
    end
  end

  it { is_expected.to run.with_params('abc', 4).and_raise_error(ArgumentError, %r{vrrp_version}) }
  it { is_expected.to run.with_params(1234, 2).and_raise_error(ArgumentError, %r{auth_pass}) }
end
