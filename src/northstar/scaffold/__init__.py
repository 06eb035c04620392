"""Starting points for new projects: ``northstar init`` templates and the demo."""
