# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""fargate_alb's private package: plan.py (pure), route53.py (API calls), runner.py (read, plan, apply)."""
