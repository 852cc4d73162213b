"""The fault suite's library: cluster control, network faults, bank workload, checker."""
