# frozen_string_literal: true

# The executable CCclient_full binaries in the usual places, so that the eucalyptus_cc_gateway
# class can warn at compile time when the check would have no client.
Facter.add(:ccclient_full_paths) do
  confine kernel: 'Linux'
  setcode do
    %w[/usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /opt/eucalyptus/usr/sbin]
      .map { |dir| File.join(dir, 'CCclient_full') }
      .select { |path| File.file?(path) && File.executable?(path) }
  end
end
