"""Honk: a self-hosted GitHub App that turns issues and review comments into pull requests.

One package per concern; imports point down the layers only (tests/test_layers.py checks it):
entry (`cli`, `process`, `__main__`) > web (`web/`) and jobs (`worker`, `flows/`) > agent
(`agent/`) > adapters (`github/`, `workspace/`, `sandbox/`, `store/`) > core (`core/`, pure).
"""
