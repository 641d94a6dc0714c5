"""CloudMart Lab: the Python toolkit that builds the Kubernetes bundle, the node images and the lab."""
