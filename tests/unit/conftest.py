"""Make ansible_collections.ecsops.fargate importable from this checkout.

.collections/ansible_collections/ecsops/fargate is the committed symlink that
ansible.cfg also uses; ansible_collections is a namespace package, so amazon.aws
and community.aws still load from site-packages.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections"

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
