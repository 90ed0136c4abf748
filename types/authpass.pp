# @summary A VRRP PASS password, plain or Sensitive. Its length (1 to 8) and characters are
#   checked by the class, so that an error never echoes the password itself.
type Eucalyptus_cc_gateway::Authpass = Variant[String, Sensitive[String]]
