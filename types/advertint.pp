# @summary VRRP advertisement interval in seconds: whole seconds (1-255) for VRRPv2, or down to
#   0.01 s (centisecond steps, at most 40.95) for VRRPv3.
type Eucalyptus_cc_gateway::Advertint = Variant[Integer[1, 255], Float[0.01, 255.0]]
