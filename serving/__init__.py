"""kefu's Ray Serve application: HTTP ingress, model deployments, config.

Every process that runs a part of it (the driver, each Serve replica) imports this package first, so this is where
personal data is masked out of its logs (`aftersales.pii`).
"""

from aftersales.pii import install_log_masking

install_log_masking()
