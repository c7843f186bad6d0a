"""Plans as people and deployment engines run them: the runbook view model and the exports."""
