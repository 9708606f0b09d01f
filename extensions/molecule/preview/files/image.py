"""Push the scenario's test image through the sandbox's ECR and print its URI (idempotent: same marker, same image).

    python image.py <endpoint> <repository>
"""

import os
import sys

sys.path.insert(0, os.getcwd())  # the repository root (chdir): the sandbox package
from sandbox.client import SandboxClient  # noqa: E402  pylint: disable=wrong-import-position
from sandbox.images import push_test_image  # noqa: E402  pylint: disable=wrong-import-position

print(push_test_image(SandboxClient(sys.argv[1]), sys.argv[2], "v1", marker="preview-v1")["image"])
