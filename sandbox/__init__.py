"""ecsops.fargate's local AWS sandbox: moto plus the control-plane behaviour moto lacks.

Not shipped in the collection artifact. See sandbox/README.md.
"""

import os

# AWS has AmazonECSTaskExecutionRolePolicy and friends; moto loads them only when asked,
# and reads this before its IAM backend is first built.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
