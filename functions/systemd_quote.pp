# @summary One argument of a systemd `Exec*=` line: as it is when it holds only plain path
#   characters, else double-quoted with systemd's escapes (`\\`, `\"`, `%%` for a literal `%`,
#   `$$` for a literal `$`).
#
# @api private
#
# @param argument
#   The argument, typically a path.
function eucalyptus_cc_gateway::systemd_quote(
  String[1] $argument,
) >> String[1] {
  if $argument =~ /\A[A-Za-z0-9_.\/+-]+\z/ {
    $argument
  } else {
    $escaped = $argument.regsubst('\\\\', '\\\\\\\\', 'G').regsubst('"', '\\\\"', 'G').regsubst('%', '%%', 'G').regsubst('[$]', '$$', 'G')
    "\"${escaped}\""
  }
}
