# @summary An absolute path of a script keepalived runs: it goes inside double quotes in
#   keepalived.conf, so only plain path characters are allowed.
type Eucalyptus_cc_gateway::Scriptpath = Pattern[/\A(\/[A-Za-z0-9._+-]+)+\z/]
