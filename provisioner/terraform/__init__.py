"""Everything that faces Terraform: the binary (runner), its configuration (HCL read and
written), saved plans, and the proposals that change configuration (adoption)."""
