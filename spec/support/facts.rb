# frozen_string_literal: true

require 'json'

module EucalyptusSpec
  extend RspecPuppetFacts

  # facterdb's newest fact sets are for Facter 4.2 (Puppet 7 ships 4.2-4.3 facts, same shape).
  FACTER_VERSION = '4.2'

  # facterdb 1.12.1 (Debian bookworm's package) predates Rocky 9, Debian 12 and Ubuntu 22.04:
  # on_supported_os silently leaves them out. They are derived here from the nearest release
  # facterdb has, with every fact that names the release replaced. The module only reads
  # os.family, os.release.major and networking (the same in both), so this is a faithful
  # stand-in; drop an entry once facterdb ships the real set (supported_os_facts then prefers
  # the real one).
  DERIVED_OS = {
    'rocky-9-x86_64' => {
      from: 'rocky-8-x86_64',
      full: '9.2', major: '9', minor: '2',
      codename: 'Blue Onyx', description: 'Rocky Linux release 9.2 (Blue Onyx)',
    },
    'debian-12-x86_64' => {
      from: 'debian-11-x86_64',
      full: '12.1', major: '12', minor: '1',
      codename: 'bookworm', description: 'Debian GNU/Linux 12 (bookworm)',
    },
    'ubuntu-22.04-x86_64' => {
      from: 'ubuntu-20.04-x86_64',
      full: '22.04', major: '22.04', minor: nil,
      codename: 'jammy', description: 'Ubuntu 22.04.3 LTS',
    },
  }.freeze

  def self.derive(base, d)
    facts = Marshal.load(Marshal.dump(base))
    release = { 'full' => d[:full], 'major' => d[:major], 'minor' => d[:minor] }.compact
    facts[:os]['release'] = release
    facts[:os]['distro'] = facts[:os].fetch('distro', {}).merge(
      'release' => release, 'codename' => d[:codename], 'description' => d[:description],
    )
    facts[:operatingsystemrelease] = d[:full]
    facts[:operatingsystemmajrelease] = d[:major]
    facts[:lsbdistrelease] = d[:full] if facts.key?(:lsbdistrelease)
    facts[:lsbmajdistrelease] = d[:major] if facts.key?(:lsbmajdistrelease)
    if facts.key?(:lsbminordistrelease)
      d[:minor] ? facts[:lsbminordistrelease] = d[:minor] : facts.delete(:lsbminordistrelease)
    end
    facts[:lsbdistcodename] = d[:codename] if facts.key?(:lsbdistcodename)
    facts[:lsbdistdescription] = d[:description] if facts.key?(:lsbdistdescription)
    facts
  end

  # Every OS/release of metadata.json => its facts (facterdb's, or derived as above).
  # Raises when one is still missing: a supported OS must never drop out of the run silently.
  def self.supported_os_facts
    found = on_supported_os(facterversion: FACTER_VERSION)
    DERIVED_OS.each do |os, d|
      next if found.key?(os)
      base = found[d[:from]] || raise("facterdb has no #{d[:from]} to derive #{os} from")
      found[os] = derive(base, d)
    end
    missing = expected_os_names - found.keys
    raise "no facts for #{missing.join(', ')} (listed in metadata.json)" unless missing.empty?
    found.select { |os, _| expected_os_names.include?(os) }.sort.to_h
  end

  def self.expected_os_names
    metadata = JSON.parse(File.read(File.expand_path('../../metadata.json', __dir__)))
    metadata['operatingsystem_support'].flat_map do |entry|
      entry['operatingsystemrelease'].map { |rel| "#{entry['operatingsystem'].downcase}-#{rel}-x86_64" }
    end
  end
end

module EucalyptusSpec
  # A CC's own networking facts, merged into an OS's facts: each interface name => its IPv4
  # addresses as 'ADDRESS/PREFIX', and the default route's interface (networking.primary; nil
  # leaves it out). The default is cc1 of a cluster: private eth0 10.231.45.11/24, public eth1
  # 10.231.46.11/24, the default route on eth1.
  CC1_INTERFACES = { 'eth0' => ['10.231.45.11/24'], 'eth1' => ['10.231.46.11/24'] }.freeze

  def self.with_networking(os_facts, interfaces = CC1_INTERFACES, primary: 'eth1')
    require 'ipaddr'
    facts = Marshal.load(Marshal.dump(os_facts))
    all = { 'lo' => ['127.0.0.1/8'] }.merge(interfaces)
    facts[:networking]['interfaces'] = all.transform_values do |cidrs|
      bindings = cidrs.map do |cidr|
        address, prefix = cidr.split('/')
        network = IPAddr.new(cidr)
        { 'address' => address, 'netmask' => IPAddr.new('255.255.255.255').mask(prefix.to_i).to_s,
          'network' => network.to_s }
      end
      { 'bindings' => bindings, 'ip' => bindings.first['address'], 'mtu' => 1500 }
    end
    primary ? facts[:networking]['primary'] = primary : facts[:networking].delete('primary')
    facts
  end
end
