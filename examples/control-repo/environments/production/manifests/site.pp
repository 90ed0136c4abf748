# Cluster Controllers carry pp_role=eucalyptus_cc in their certificate (csr_attributes.yaml),
# and their cluster in pp_cluster: see hiera.yaml.
node default {
  if $trusted['extensions']['pp_role'] == 'eucalyptus_cc' {
    include eucalyptus_cc_gateway
  }
}
