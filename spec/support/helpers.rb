# frozen_string_literal: true

module EucalyptusSpec
  CONFIG = '/etc/keepalived/keepalived.conf'
  CHECK = '/usr/local/bin/CCclient-enabled-check.sh'
  CCCLIENT = '/usr/local/sbin/CCclient_full'
  CONFIG_TEST = '/usr/local/sbin/keepalived-config-test'

  # The VIP (the one parameter without a default) and the private interface (given, so that the
  # facts' networks do not matter: cluster_data_spec.rb derives it).
  MINIMAL_PARAMS = { 'vip' => '10.231.45.50', 'priv_dev' => 'eth1' }.freeze

  # Helpers available in every example.
  module Helpers
    # The content of a File resource in the compiled catalogue, as a String. Sensitive content
    # arrives as Puppet::Pops::Types::PSensitiveType::Sensitive: it is unwrapped here.
    def file_content(path)
      resource = catalogue.resource('File', path)
      raise "File[#{path}] is not in the catalogue" unless resource

      content = resource[:content]
      content.respond_to?(:unwrap) ? content.unwrap : content
    end

    def sensitive?(value)
      value.is_a?(Puppet::Pops::Types::PSensitiveType::Sensitive)
    end

    # Lines of a rendered file, stripped of indentation, comments and blank lines.
    def significant_lines(path)
      file_content(path).lines.map(&:strip).reject { |l| l.empty? || l.start_with?('#') }
    end

    # Compiles the catalogue of the current example with every Puppet log message captured,
    # and returns the messages. rspec-puppet caches catalogues by their inputs, and a cached
    # catalogue logs nothing: the cache is emptied first so that the compiler really runs.
    def compile_and_capture_logs
      RSpec::Puppet::Support.class_variable_set(:@@cache, RSpec::Puppet::Cache.new)
      logs = []
      destination = Puppet::Test::LogCollector.new(logs)
      Puppet::Util::Log.newdestination(destination)
      begin
        catalogue
      ensure
        Puppet::Util::Log.close(destination)
      end
      logs
    end
  end
end
