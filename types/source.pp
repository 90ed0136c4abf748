# @summary Where CCclient_full comes from: a `puppet:///` URL, an absolute path on the node,
#   or an https URL.
type Eucalyptus_cc_gateway::Source = Variant[
  Pattern[/\Apuppet:\/\/[A-Za-z0-9.-]*\/[^\s]+\z/],
  Pattern[/\Ahttps:\/\/[^\s\/]+\/[^\s]*\z/],
  Stdlib::Unixpath,
]
