# @summary The CC's SOAP endpoint as `HOST:PORT`, as CCclient_full takes it.
#
# @example
#   '127.0.0.1:8774'
type Eucalyptus_cc_gateway::Endpoint = Pattern[/\A[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])\z/]
