# @summary One argument of a systemd `Exec*=` line, written so that systemd passes it through
#   unchanged: `%` and `$` doubled (systemd would expand them), and double-quoted, with `\` and `"`
#   escaped, unless it holds only plain characters.
#
# @api private
#
# @param arg
#   The argument, e.g. a path from a parameter.
#
# @return
#   The argument as it goes on the line.
function eucalyptus_cc_gateway::systemd_arg(
  String[1] $arg,
) >> String[1] {
  $literal = $arg.regsubst('%', '%%', 'G').regsubst('\$', '$$', 'G')
  $arg ? {
    /\A[A-Za-z0-9_.,:\/@+=-]+\z/ => $literal,
    default                       => ['"', $literal.regsubst('([\\\\"])', '\\\\\\1', 'G'), '"'].join,
  }
}
