# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Identity of this collection, shared by every module and plugin."""

from __future__ import annotations

COLLECTION_NAME = "ecsops.fargate"
# Bumped together with galaxy.yml at release time; a unit test keeps the two equal.
COLLECTION_VERSION = "0.1.0"
