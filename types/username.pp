# @summary A POSIX user name (the user keepalived runs the check as).
type Eucalyptus_cc_gateway::Username = Pattern[/\A[a-z_][a-z0-9_-]{0,31}\z/]
