"""Running Signify as several replicas behind HAProxy (see deploy/cluster.py and deploy/haproxy.cfg)."""
