"""Elastic Load Balancing v2 behaviour, split by concern; `sandbox/elb.py` is the entry point."""
