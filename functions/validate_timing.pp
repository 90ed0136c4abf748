# @summary Fails compilation on VRRP timing and priority settings keepalived would reject or
#   that would keep the VIP off the ENABLED CC.
#
# @api private
#
# @param advert_int
#   Seconds between adverts.
# @param vrrp_version
#   VRRP version.
# @param priority
#   Base priority.
# @param check_weight
#   Priority the passing check adds.
function eucalyptus_cc_gateway::validate_timing(
  Eucalyptus_cc_gateway::Advertint $advert_int,
  Integer[2, 3] $vrrp_version,
  Integer[1, 254] $priority,
  Integer[1, 253] $check_weight,
) >> Undef {
  $centiseconds = $advert_int * 100
  if $vrrp_version == 2 and $advert_int != $advert_int.round {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: advert_int ${advert_int} is not whole seconds: \
      VRRPv2 advertises in whole seconds; set vrrp_version => 3 for sub-second adverts
      | MSG
  }
  if $vrrp_version == 3 and ($advert_int > 40.95 or ($centiseconds - $centiseconds.round).abs > 0.000001) {
    fail("eucalyptus_cc_gateway: advert_int ${advert_int} is not a VRRPv3 interval: give 0.01 to 40.95 seconds in steps of 0.01")
  }
  if $priority + $check_weight > 254 {
    fail(@("MSG"/L))
      eucalyptus_cc_gateway: priority ${priority} + check_weight ${check_weight} exceeds 254, \
      so a passing check could not lift this CC above its peer; lower one of them
      | MSG
  }
  undef
}
