# frozen_string_literal: true

require 'spec_helper'

# systemd_arg(arg): one argument of an Exec*= line that systemd passes through unchanged.
describe 'eucalyptus_cc_gateway::systemd_arg' do
  it 'leaves plain paths, options, numbers and endpoints as they are' do
    ['/usr/local/sbin/eucalyptus-cc-state', '--keys-dir', '0.1', '127.0.0.1:8774', 'cc1.cloud.example:18774',
     '/opt/a_b/c+d,e=f@g'].each do |arg|
      is_expected.to run.with_params(arg).and_return(arg)
    end
  end

  it 'double-quotes an argument with a blank' do
    is_expected.to run.with_params('/opt/cc tools/cc-state').and_return('"/opt/cc tools/cc-state"')
  end

  it 'escapes backslashes and double quotes inside the quotes' do
    is_expected.to run.with_params('/srv/a"b\\c').and_return('"/srv/a\\"b\\\\c"')
  end

  it 'doubles % and $, which systemd would expand, quoted or not' do
    is_expected.to run.with_params('/srv/%n$HOME').and_return('"/srv/%%n$$HOME"')
    is_expected.to run.with_params('/srv/a%b').and_return('"/srv/a%%b"')
  end

  it { is_expected.to run.with_params('').and_raise_error(ArgumentError) }
end
