"""The GitHub Action door: event and inputs, diff placement, the pull-request review."""
