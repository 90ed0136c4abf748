# frozen_string_literal: true

# rspec-puppet set-up for eucalyptus_cc_gateway, using Debian's packages only (puppet,
# ruby-rspec-puppet, ruby-rspec-puppet-facts, facterdb, puppet-module-puppetlabs-stdlib):
# no bundler, no gems, no Forge, no .fixtures.yml. Run from the repository root: `rspec spec`.

require 'fileutils'
require 'rspec-puppet'
require 'rspec-puppet-facts'
include RspecPuppetFacts # rubocop:disable Style/MixinUsage

REPO_ROOT = File.expand_path('..', __dir__)
FIXTURES = File.join(REPO_ROOT, 'spec', 'fixtures')
MODULE_PATH = File.join(FIXTURES, 'modules')
STDLIB_DIR = ENV.fetch('STDLIB_DIR', '/usr/share/puppet/modules/stdlib')

# The repository directory is not named after the module, so Puppet can only find the module
# through a link under its real name. spec/fixtures/ is git-ignored and rebuilt here on every run
# (idempotently: a correct link is left alone, anything else at that place is replaced).
def link_fixture(name, target)
  link = File.join(MODULE_PATH, name)
  return if File.symlink?(link) && File.readlink(link) == target

  FileUtils.rm_rf(link)
  File.symlink(target, link)
end

abort "stdlib not found at #{STDLIB_DIR}: apt-get install puppet-module-puppetlabs-stdlib" unless File.directory?(STDLIB_DIR)
FileUtils.mkdir_p(MODULE_PATH)
link_fixture('eucalyptus_cc_gateway', '../../..') # relative: the clone may move
link_fixture('stdlib', STDLIB_DIR)
FileUtils.mkdir_p(File.join(FIXTURES, 'manifests'))
FileUtils.touch(File.join(FIXTURES, 'manifests', 'site.pp'))
# An empty global Hiera layer (version 5): only the module's own hiera.yaml supplies data.
GLOBAL_HIERA = File.join(FIXTURES, 'hiera.yaml')
File.write(GLOBAL_HIERA, "---\nversion: 5\nhierarchy: []\n") unless File.file?(GLOBAL_HIERA)

Dir[File.join(__dir__, 'support', '**', '*.rb')].sort.each { |f| require f }

RSpec.configure do |c|
  c.module_path = MODULE_PATH
  c.manifest = File.join(FIXTURES, 'manifests', 'site.pp')
  c.strict_variables = true
  c.hiera_config = GLOBAL_HIERA
  # rspec-puppet's own fixture set-up would link the module under spec/fixtures/modules as well,
  # through the link above, into the repository itself: the links are made above instead.
  c.setup_fixtures = false
  # facterdb 1.12.1 (Debian bookworm) has no facts for Facter 4.3; 4.2 is its newest set.
  c.default_facter_version = EucalyptusSpec::FACTER_VERSION
  c.include EucalyptusSpec::Helpers
  c.order = :defined
end
