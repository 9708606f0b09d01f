"""ecsops.fargate's local AWS sandbox: moto plus the control-plane behaviour moto lacks.

Not shipped in the collection artifact. See sandbox/README.md.
"""
