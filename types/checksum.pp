# @summary A file checksum as `ALGORITHM:HEX`, checked by Puppet before the file is installed.
#
# @example
#   'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
type Eucalyptus_cc_gateway::Checksum = Pattern[/\A(?:md5:[0-9a-f]{32}|sha224:[0-9a-f]{56}|sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})\z/]
