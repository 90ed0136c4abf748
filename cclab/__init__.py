"""cclab: a Docker lab that proves the eucalyptus_cc_gateway Puppet module keeps the VIP on the ENABLED CC."""
