# @summary A Linux network interface name: at most 15 characters, no blanks, slashes or shell
#   and keepalived metacharacters (it goes verbatim into keepalived.conf).
type Eucalyptus_cc_gateway::Interface = Pattern[/\A[A-Za-z0-9][A-Za-z0-9_.@:-]{0,14}\z/]
