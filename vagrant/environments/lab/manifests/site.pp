# The Vagrant lab's CCs (only they get the puppet provisioner). A CC also needs the cloud's
# certificate, which the CLC hands it when the cluster is registered: the lab's CLC is cclab, so
# Puppet places it from the lab's secrets.
node default {
  include eucalyptus_cc_gateway

  file { '/var/lib/eucalyptus/keys/cloud-cert.pem':
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => lookup('cclab::cloud_cert'),
  }
}
