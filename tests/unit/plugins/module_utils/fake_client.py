# -*- coding: utf-8 -*-

# Copyright: Contributors to the ecsops.fargate project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A scripted stand-in for a boto3 client, shared by the runner tests that check call sequences."""

from __future__ import annotations


class Fake:
    """A boto3 client whose answers are scripted per operation (a value, or a callable); records every call."""

    def __init__(self, log, **answers):
        self.log, self.answers = log, answers

    def __getattr__(self, operation):
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**params):
            self.log.append((operation, params))
            answer = self.answers.get(operation, {})
            return answer(**params) if callable(answer) else answer
        return call

    def get_paginator(self, operation):
        fake = self

        class Paginator:
            def paginate(self, **params):
                return [getattr(fake, operation)(**params)]
        return Paginator()
