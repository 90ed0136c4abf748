# @summary Fails compilation when the VRRP password cannot work as given. Messages name the
#   parameter and never echo the password.
#
# @api private
#
# @param auth_pass
#   The password, plain or Sensitive, or undef for no VRRP authentication.
# @param vrrp_version
#   VRRP version: only version 2 has authentication.
function eucalyptus_cc_gateway::validate_auth_pass(
  Optional[Eucalyptus_cc_gateway::Authpass] $auth_pass,
  Integer[2, 3] $vrrp_version,
) >> Undef {
  if $auth_pass =~ NotUndef {
    $length = $auth_pass.unwrap.length
    if $vrrp_version == 3 {
      fail(@(MSG/L))
        eucalyptus_cc_gateway: auth_pass needs vrrp_version => 2: VRRPv3 has no authentication and keepalived \
        rejects it; drop auth_pass, or use version 2 with a whole-second advert_int
        | MSG
    }
    if $length == 0 or $length > 8 {
      fail(@("MSG"/L))
        eucalyptus_cc_gateway: auth_pass is ${length} characters: give 1 to 8 \
        (keepalived silently truncates a VRRP PASS password to its first 8 characters)
        | MSG
    }
    unless $auth_pass.unwrap =~ /\A[\x21-\x7e]+\z/ and $auth_pass.unwrap !~ /["'#!{}\\]/ {
      fail(@(MSG/L))
        eucalyptus_cc_gateway: auth_pass may only hold printable ASCII without blanks, quotes, #, !, \
        braces or backslashes (keepalived.conf would misread them)
        | MSG
    }
  }
  undef
}
