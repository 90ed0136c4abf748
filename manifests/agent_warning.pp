# @summary Logs one warning line on the agent, on every run, while a condition only the node can
#   test does not hold; never fails the run.
#
# The catalog cannot know the node's files or policy (a fact cannot know the class's
# parameters): a test on the agent can. The run reports the warning as a change, so it stays
# visible until the cause is fixed.
#
# @api private
#
# @param message
#   The line to log: what is wrong and what it breaks.
# @param unless
#   A shell command that succeeds while all is well (then nothing is logged).
define eucalyptus_cc_gateway::agent_warning (
  String[1] $message,
  String[1] $unless,
) {
  assert_private()

  exec { "eucalyptus_cc_gateway: ${title}":
    command   => "echo ${message.shell_escape}",
    unless    => $unless,
    path      => ['/usr/sbin', '/sbin', '/usr/bin', '/bin'],
    provider  => 'shell',
    logoutput => true,
    loglevel  => 'warning',
  }
}
